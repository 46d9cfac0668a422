// Canvas drawing happens at most once per animation frame: panels register a drawer under a
// name and ask for redraws by name; a resize or a change of colour scheme redraws them all.

const drawers = new Map();
const pending = new Set();
let frame = 0;

/** @param {string} name @param {() => void} draw */
export function registerDrawer(name, draw) {
  drawers.set(name, draw);
}

/** Redraws the named canvases in the next animation frame. @param {...string} what */
export function scheduleDraw(...what) {
  for (const w of what) pending.add(w);
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const todo = [...pending];
    pending.clear();
    for (const w of todo) {
      try {
        drawers.get(w)?.();
      } catch (e) {
        console.error(e);
      }
    }
  });
}

/** Redraws everything when the content area changes width or the colour scheme changes. */
export function watchLayout(content) {
  let lastWidth = 0;
  new ResizeObserver((entries) => {
    const w = Math.round(entries[0].contentRect.width);
    if (w === lastWidth) return;
    lastWidth = w;
    scheduleDraw(...drawers.keys());
  }).observe(content);
  matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', () => scheduleDraw(...drawers.keys()));
}
