import type { Logger } from '@vigil/core';

/** An answer to a button press is cosmetic (the ack is recorded already): it must not hold the webhook long. */
const BOT_API_TIMEOUT_MS = 5_000;

/** What the web role says back to Telegram: one Bot API method, with the bot's token and server. */
export interface BotCall {
  bot: { botToken: string; apiBase: string };
  method: 'answerCallbackQuery' | 'editMessageText';
  body: Record<string, unknown>;
}

/**
 * Calls a Bot API method; a failure is logged (with the server's origin, never the URL: it holds the
 * token) and swallowed, since what it reports has happened already.
 */
export async function callBot(log: Logger, call: BotCall): Promise<void> {
  const base = call.bot.apiBase.replace(/\/+$/, '');
  const origin = new URL(base).origin;
  try {
    const response = await fetch(`${base}/bot${call.bot.botToken}/${call.method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil' },
      body: JSON.stringify(call.body),
      redirect: 'manual',
      signal: AbortSignal.timeout(BOT_API_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => {});
    if (!response.ok)
      log.warn({ method: call.method, origin, status: response.status }, 'telegram Bot API call failed');
  } catch (err) {
    const reason = err instanceof Error ? err.name : 'error';
    log.warn({ method: call.method, origin, reason }, 'telegram Bot API call failed');
  }
}
