// tests/e2e/onnx_run.mjs - run an mlpd ONNX export in onnxruntime-node and
// compare with the server's predict.
//
// usage: node onnx_run.mjs MODEL.onnx float32|float64 CASE.json REL
// CASE.json: {"inputs": [[..], ...], "outputs": [[..], ...]} (the outputs
// are predict's answer for those inputs). Every output of onnxruntime must
// satisfy |ort - predict| <= REL * max(|ort|, |predict|). Prints the
// largest relative difference; exits 1 past REL.
import ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';

const [path, dtype, casePath, relText] = process.argv.slice(2);
const rel = Number(relText);
const c = JSON.parse(readFileSync(casePath, 'utf8'));
const rows = c.inputs.length, cols = c.inputs[0].length, outs = c.outputs[0].length;
const Arr = dtype === 'float64' ? Float64Array : Float32Array;
const session = await ort.InferenceSession.create(readFileSync(path));
if (session.inputNames.join() !== 'input' || session.outputNames.join() !== 'output') {
  console.log(`  FAIL  names: ${session.inputNames} -> ${session.outputNames}`);
  process.exit(1);
}
const x = new ort.Tensor(dtype, Arr.from(c.inputs.flat()), [rows, cols]);
const { output } = await session.run({ input: x });
if (output.type !== dtype || output.dims.join() !== `${rows},${outs}`) {
  console.log(`  FAIL  output ${output.type} [${output.dims}], expected ${dtype} [${rows},${outs}]`);
  process.exit(1);
}
let worst = 0, where = -1;
const want = c.outputs.flat();
for (let i = 0; i < want.length; i++) {
  const a = output.data[i], b = want[i];
  const scale = Math.max(Math.abs(a), Math.abs(b));
  const d = scale === 0 ? 0 : Math.abs(a - b) / scale;
  if (!(d <= worst)) { worst = d; where = i; }
}
const ok = worst <= rel;
console.log(`  ${ok ? 'ok  ' : 'FAIL'}  onnxruntime-node ${ort.env.versions?.common ?? ''} ${dtype}: ` +
  `${want.length} outputs of ${rows} rows, max relative difference ${worst.toExponential(2)} ` +
  `(bound ${rel})${ok ? '' : ` at output ${where}: ${output.data[where]} vs ${want[where]}`}`);
process.exit(ok ? 0 : 1);
