// What both pages need: elements that hold text only (never HTML), and copy buttons.
const COPIED_MS = 2000;

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// Copies `text`: the Clipboard API where the page is a secure context, else the older
// execCommand way (a plain-http server on the LAN is not a secure context). Resolves to success.
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the older way
    }
  }
  const area = el('textarea', 'offscreen');
  area.value = text;
  area.setAttribute('readonly', '');
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

// Makes `button` copy textOf() on click and show "Copied" (data-copied="yes") for a moment.
export function wireCopy(button, textOf) {
  const label = button.dataset.label ?? button.textContent;
  button.addEventListener('click', async () => {
    const copied = await copyText(textOf());
    button.textContent = copied ? 'Copied' : 'Copy failed';
    button.dataset.copied = copied ? 'yes' : 'no';
    const announce = document.getElementById('announce');
    announce.textContent = copied ? 'Copied to the clipboard' : 'Could not copy';
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => {
      button.textContent = label;
      delete button.dataset.copied;
    }, COPIED_MS);
  });
  return button;
}

export function copyButton(label, textOf) {
  const button = el('button', 'button copy', label);
  button.type = 'button';
  button.dataset.label = label;
  return wireCopy(button, textOf);
}
