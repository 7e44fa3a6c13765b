/**
 * Text from the data (segment values, column names) as a terminal shows it safely: control characters, newlines
 * included, become visible escapes (`\u001b`, `\n`), so a value cannot move the cursor, set the clipboard (OSC 52),
 * or start a line that looks like the tool's own output. Tabs stay.
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export const visible = (text: string): string =>
  text.replace(CONTROL, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
