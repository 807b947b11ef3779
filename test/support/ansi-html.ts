/** A terminal screen with ANSI colours (as `tmux capture-pane -e` gives it) as an HTML page, for a picture of it. */

const COLOURS: Record<string, string> = { '31': '#ff6b6b', '32': '#5fd35f', '33': '#e5c07b', '34': '#61afef', '35': '#c678dd', '36': '#56b6c2', '37': '#dcdfe4' };

const ESC = String.fromCharCode(27);
/** A control sequence (kept in the split), and an SGR one (colours and weights). */
const SEQUENCE = new RegExp(`(${ESC}\\[[0-9;?]*[A-Za-z])`);
const SGR = new RegExp(`^${ESC}\\[([0-9;]*)m$`);

const escapeHtml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The screen's text without its control sequences. */
export const stripAnsi = (screen: string): string =>
  screen
    .split(SEQUENCE)
    .filter((part) => !part.startsWith(ESC))
    .join('');

/** The screen's text as HTML spans: colours, bold and dim from SGR sequences; every other sequence dropped. */
export function ansiToHtml(screen: string): string {
  let colour: string | undefined;
  let bold = false;
  let dim = false;
  let out = '';
  for (const part of screen.split(SEQUENCE)) {
    const sgr = SGR.exec(part);
    if (sgr) {
      for (const code of (sgr[1] || '0').split(';')) {
        if (code === '0' || code === '') [colour, bold, dim] = [undefined, false, false];
        else if (code === '1') bold = true;
        else if (code === '2') dim = true;
        else if (code === '22') [bold, dim] = [false, false];
        else if (code === '39') colour = undefined;
        else if (COLOURS[code]) colour = COLOURS[code];
      }
    } else if (!part.startsWith(ESC) && part) {
      const style = [colour ? `color:${colour}` : '', bold ? 'font-weight:bold' : '', dim ? 'opacity:0.6' : ''].filter(Boolean).join(';');
      out += style ? `<span style="${style}">${escapeHtml(part)}</span>` : escapeHtml(part);
    }
  }
  return `<!doctype html><meta charset="utf-8"><body style="margin:0;background:#1e2127"><pre id="screen" style="margin:0;padding:14px 18px;display:inline-block;color:#dcdfe4;background:#1e2127;font:13px/1.35 'DejaVu Sans Mono',monospace">${out}</pre>`;
}
