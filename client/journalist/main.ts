import { wireConversation } from './conversation.ts';
import { wireKey } from './key.ts';
import { wireKeyGeneration } from './keygen.ts';
import { wireList } from './list.ts';
import { wireRewrap } from './rewrap.ts';
import { wireSafeView } from './safe-view.ts';
import { wireShell } from './shell.ts';
import { wireTotpLabel } from './totp-label.ts';

// Every feature module exports wireX(root): it attaches its listeners to the elements under root
// and must be safe to call again on new content. They run once for the whole page at load, and
// again for the new #workspace after each client navigation (the shell's 'workspace:swap').
// Each module adds its one line here.
const wires: ((root: ParentNode) => void)[] = [
  wireKey, // the key bar, outside #workspace: wired once
  wireShell, // client navigation: document-wide listeners, wired once
  wireList, // the conversation list: selection for bulk actions, search by label
  wireConversation, // one conversation (items, replies, read state) and labels wherever a source is named
  wireSafeView, // a conversation's items: the Safe view of a PDF or an image, in a sandboxed frame
  wireRewrap, // sharing an item, moving a conversation, moving one's items to a new key (re-wrapped in the page)
  wireTotpLabel, // setup: the authenticator's QR code follows the username typed
];

function wireAll(root: ParentNode): void {
  for (const wire of wires) {
    try {
      wire(root);
    } catch {
      // One module's failure must not leave the others unwired.
    }
  }
}

wireKeyGeneration(); // the setup page: a full page, never swapped in
wireAll(document);
document.addEventListener('workspace:swap', (event) => wireAll((event as CustomEvent<{ root: ParentNode }>).detail.root));
