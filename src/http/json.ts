/** A JSON answer that no cache keeps: refusals and /health. */
export function jsonResponse(fetchAPI: { Response: typeof Response }, body: unknown, status: number) {
  return new fetchAPI.Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}
