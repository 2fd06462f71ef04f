// Building DOM nodes without innerHTML: every text from the API goes in as text, never
// as markup, and no inline style is ever written (the page's CSP forbids them).

const SVG_NS = "http://www.w3.org/2000/svg";

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.setAttribute("class", value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function h(tag, attributes, ...children) {
  return build(document.createElement(tag), attributes, children);
}

export function s(tag, attributes, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

export function replace(parent, ...children) {
  parent.replaceChildren();
  build(parent, {}, children);
}

// A wide table or chart scrolls inside its own box on a phone instead of the page; the
// box is focusable so that keyboard users can scroll it too.
export function scrollBox(labelText, content) {
  return h("div", { class: "scroll", role: "region", tabindex: "0", "aria-label": labelText }, content);
}
