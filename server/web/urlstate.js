// urlstate.js - the page's state in its address, so that a student can
// send a link: the network form, the data set form, the training
// settings, and the open model (and class dataset) as the hash
// "#inputs=2&hidden=3&...&model=ID". Read at load (before the last
// model of this browser is reopened), rewritten (history.replaceState,
// no new history entry) whenever one of those fields changes.

// hash key -> element id of the field it holds
export const FIELDS = {
  name: 'm-name', inputs: 'm-inputs', hidden: 'm-hidden', act: 'm-hidden-act',
  outputs: 'm-outputs', out: 'm-out-act', loss: 'm-loss', init: 'm-seed',
  data: 'd-set', n: 'd-n', noise: 'd-noise', dseed: 'd-seed',
  lr: 't-lr', batch: 't-batch', opt: 't-opt', epochs: 't-epochs', val: 't-val', tseed: 't-seed',
};
// Keys that are not form fields: the open model, the chosen class dataset.
const OBJECTS = ['model', 'dataset'];

const ID = /^[A-Za-z0-9_-]{1,64}$/;

// The hash's values: {fields: {elementId: value}, model, dataset}; keys
// that are unknown, and ids that could not be one, are dropped.
export function readState(hash = location.hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const out = { fields: {}, model: null, dataset: null };
  for (const [key, id] of Object.entries(FIELDS)) {
    const v = q.get(key);
    if (v !== null && v.length <= 200) out.fields[id] = v;
  }
  for (const key of OBJECTS) {
    const v = q.get(key);
    if (v && ID.test(v)) out[key] = v;
  }
  return out;
}

// Put the values into the form; a <select> keeps its value when the
// hash names an option it does not have. Returns how many were set.
export function applyFields(doc, fields) {
  let set = 0;
  for (const [id, v] of Object.entries(fields)) {
    const el = doc.getElementById(id);
    if (!el) continue;
    if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === v)) continue;
    el.value = v;
    set++;
  }
  return set;
}

// The hash of the form as it is now, with the open objects.
export function stateHash(doc, objects = {}) {
  const q = new URLSearchParams();
  for (const [key, id] of Object.entries(FIELDS)) {
    const el = doc.getElementById(id);
    if (el) q.set(key, el.value);
  }
  for (const key of OBJECTS) if (objects[key]) q.set(key, objects[key]);
  return '#' + q.toString();
}

// Rewrite the address without a new history entry; returns the link.
export function writeState(doc, objects) {
  const hash = stateHash(doc, objects);
  if (location.hash !== hash) history.replaceState(null, '', location.pathname + location.search + hash);
  return location.href;
}
