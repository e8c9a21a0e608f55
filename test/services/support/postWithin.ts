// A command sent with a deadline of the test's own: a request that hangs (the defects the step-wait
// and no-worker specs guard against) fails an assertion, not the test's timeout.

export interface AnswerWithin {
  status: number | 'no answer';
  body: unknown;
  headers: Headers | undefined;
  ms: number;
}

/** POST `body` (JSON) to `baseUrl + path` with a bearer token, given up after `ms`. */
export async function postWithin(
  baseUrl: string,
  ms: number,
  path: string,
  options: { token: string; body: unknown; headers?: Record<string, string> },
): Promise<AnswerWithin> {
  const started = Date.now();
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.token}`,
        'content-type': 'application/json',
        ...options.headers,
      },
      body: JSON.stringify(options.body),
      signal: AbortSignal.timeout(ms),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: JSON.parse(text) as unknown,
      headers: res.headers,
      ms: Date.now() - started,
    };
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError')
      return { status: 'no answer', body: undefined, headers: undefined, ms: Date.now() - started };
    throw error;
  }
}
