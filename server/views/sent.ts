import { layout } from './layout.ts';

export function renderSentPage(): string {
  return layout({
    title: 'Sent',
    body: `<h1>Sent</h1>
<section class="done"><p>Everything you sent arrived. With JavaScript off, the server encrypted it in memory the
moment it arrived, to the newsroom's journalists' keys, before anything was written to disk. Only they can read it now.</p></section>
<p>You can close this page. <a href="/">Send something else</a></p>`,
  });
}
