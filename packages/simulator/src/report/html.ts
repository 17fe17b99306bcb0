/** Escapes text for HTML content and quoted attributes: trace names and titles come from users. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
