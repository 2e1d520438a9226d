/**
 * PartialDate ("2015", "2018-02", "2015-12-11") read as the interval it stands for: a year is the
 * whole year, never its first day.
 */
export interface Interval {
  start: number;
  end: number;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export function interval(date: string): Interval | null {
  const match = /^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(date);
  if (!match) return null;
  const year = Number(match[1]);
  if (match[3]) {
    const start = Date.UTC(year, Number(match[2]) - 1, Number(match[3]));
    return { start, end: start + 86_400_000 };
  }
  if (match[2]) return { start: Date.UTC(year, Number(match[2]) - 1, 1), end: Date.UTC(year, Number(match[2]), 1) };
  return { start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) };
}

/** The span from the start of `from` to the end of `to` (either may be missing). */
export function span(from: string | null | undefined, to: string | null | undefined): Interval | null {
  const a = from ? interval(from) : null;
  const b = to ? interval(to) : null;
  if (!a && !b) return null;
  return { start: (a ?? b)!.start, end: (b ?? a)!.end };
}

/** "2018", "February 2018", "11 December 2015": at the precision the source gave. */
export function formatDate(date: string): string {
  const [year, month, day] = date.split('-');
  if (day) return `${Number(day)} ${MONTHS[Number(month) - 1]} ${year}`;
  if (month) return `${MONTHS[Number(month) - 1]} ${year}`;
  return year ?? date;
}

export function formatSpan(from: string | null | undefined, to: string | null | undefined): string {
  if (from && to) return from === to ? formatDate(from) : `${formatDate(from)} – ${formatDate(to)}`;
  if (from) return `from ${formatDate(from)}`;
  if (to) return `until ${formatDate(to)}`;
  return '';
}

/** Whether something valid over [from, to] is valid at some time in `year`. */
export function validIn(year: number, from: string | null | undefined, to: string | null | undefined): boolean {
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const a = from ? interval(from) : null;
  const b = to ? interval(to) : null;
  return (!a || a.start < end) && (!b || b.end > start);
}

export const yearOf = (date: string | null | undefined) => (date ? Number(date.slice(0, date.startsWith('-') ? 5 : 4)) : null);

/** When an event happened: its start alone is a point at its precision ("2015"), not "from 2015". */
export function formatWhen(start: string | null | undefined, end: string | null | undefined): string {
  if (start && !end) return formatDate(start);
  return formatSpan(start, end);
}
