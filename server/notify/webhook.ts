/**
 * One JSON POST, `{"text": …}`, the shape ntfy, Matrix bridges and most chat hooks take. A redirect
 * is a failure (it could lead to a plain-http host); any answer but 2xx is too.
 */
export async function postWebhook(url: string, text: string): Promise<void> {
  const answer = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    redirect: 'error',
    signal: AbortSignal.timeout(30_000),
  });
  await answer.body?.cancel();
  if (!answer.ok) throw new WebhookError(answer.status);
}

export class WebhookError extends Error {
  override name = 'WebhookError';
  readonly code: string;
  constructor(status: number) {
    super(`The webhook answered ${status}.`);
    this.code = `http_${status}`;
  }
}
