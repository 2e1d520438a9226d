const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** True for "YYYY", "YYYY-MM" and "YYYY-MM-DD" that name a real calendar year, month or day. */
export function isPartialDate(value: string): boolean {
  const match = PARTIAL_DATE.exec(value);
  if (!match) return false;
  const [, year, month, day] = match;
  if (month === undefined) return true;
  const m = Number(month);
  if (m < 1 || m > 12) return false;
  if (day === undefined) return true;
  const d = Number(day);
  const daysInMonth = new Date(Date.UTC(Number(year), m, 0)).getUTCDate();
  return d >= 1 && d <= daysInMonth;
}

/**
 * A partial date names an interval: "2018" is all of 2018. Comparing text works because a prefix
 * sorts first: the interval's start is the text itself and its end is the text followed by "~".
 */
export const intervalEnd = (date: string) => `${date}~`;
