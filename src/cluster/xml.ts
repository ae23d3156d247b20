// Tiny XML writing helpers: the CIB fragments Tandem writes are small and fixed in shape, so
// string building with strict escaping is clearer than a DOM.

export function esc(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `<name a="1" b="2"/>` or `<name …>children</name>`, attributes in the given order. */
export function el(name: string, attrs: Record<string, string | number | undefined>, children: string[] = []): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(v as string | number)}"`)
    .join('');
  if (children.length === 0) return `<${name}${a}/>`;
  return `<${name}${a}>${children.join('')}</${name}>`;
}
