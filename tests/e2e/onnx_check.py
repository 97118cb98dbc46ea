#!/usr/bin/python3
"""Check an mlpd ONNX export with Debian's python3-onnx.

usage: onnx_check.py MODEL.onnx WEIGHTS.json float32|float64 [META.json]

- onnx.checker.check_model(full_check=True) passes (shape inference too);
- IR version 8, opset 13 of the default domain, producer mlpd;
- one input "input" [N, inputs], one output "output" [N, outputs] of the
  asked element type;
- the initializers W<l>, b<l> equal GET weights' layers (as float32 or
  exactly as float64), read through onnx.numpy_helper;
- re-serialising the parsed model gives the same bytes (mlpd writes
  fields in protobuf's canonical order);
- META.json (optional): {"key": "value"} pairs that metadata_props holds.
Prints one line per check; exits 1 on the first failure.
"""
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper, TensorProto


def fail(msg):
    print("  FAIL  " + msg)
    sys.exit(1)


def ok(msg):
    print("  ok    " + msg)


def main():
    path, weights_path, dtype = sys.argv[1:4]
    data = open(path, "rb").read()
    weights = json.load(open(weights_path))
    m = onnx.load_from_string(data)
    try:
        onnx.checker.check_model(m, full_check=True)
    except Exception as exc:  # the checker raises ValidationError and others
        fail("onnx.checker.check_model(full_check=True): %s" % exc)
    ok("onnx.checker.check_model(full_check=True) passes")
    if m.ir_version != 8 or [(o.domain, o.version) for o in m.opset_import] != [("", 13)]:
        fail("IR 8 / opset 13: got %d %r" % (m.ir_version, m.opset_import))
    if m.producer_name != "mlpd":
        fail("producer_name mlpd: got %r" % m.producer_name)
    ok("IR version 8, opset 13, producer mlpd %s" % m.producer_version)
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    np_type = np.float32 if dtype == "float32" else np.float64
    layers = weights["layers"]
    n_in = len(layers[0]["weights"][0])
    n_out = len(layers[-1]["biases"])

    def io(v):
        t = v.type.tensor_type
        return (v.name, t.elem_type, [d.dim_param or d.dim_value for d in t.shape.dim])

    g = m.graph
    if [io(v) for v in g.input] != [("input", elem, ["N", n_in])]:
        fail("graph input: %r" % [io(v) for v in g.input])
    if [io(v) for v in g.output] != [("output", elem, ["N", n_out])]:
        fail("graph output: %r" % [io(v) for v in g.output])
    ok("input [N, %d], output [N, %d], %s" % (n_in, n_out, dtype))
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for i, layer in enumerate(layers, 1):
        w = np.array(layer["weights"], dtype=np.float64).astype(np_type)
        b = np.array(layer["biases"], dtype=np.float64).astype(np_type)
        got_w, got_b = inits.get("W%d" % i), inits.get("b%d" % i)
        if got_w is None or got_w.dtype != np_type or got_w.shape != w.shape or not np.array_equal(got_w, w):
            fail("W%d equals layer %d's weights as %s" % (i, i, dtype))
        if got_b is None or got_b.dtype != np_type or not np.array_equal(got_b, b):
            fail("b%d equals layer %d's biases as %s" % (i, i, dtype))
    ok("initializers equal the %d layers' weights and biases (numpy_helper)" % len(layers))
    if m.SerializeToString() != data:
        fail("re-serialising the parsed model gives the same bytes")
    ok("re-serialised bytes are identical (%d bytes)" % len(data))
    meta = {p.key: p.value for p in m.metadata_props}
    conv = json.loads(meta.get("mlpd.conventions", "null"))
    if not conv or conv.get("bias") != "+b":
        fail("metadata mlpd.conventions: %r" % meta)
    if len(sys.argv) > 4:
        want = json.load(open(sys.argv[4]))
        for k, v in want.items():
            if meta.get(k) != v:
                fail("metadata %s = %r (got %r)" % (k, v, meta.get(k)))
    ok("metadata_props: %s" % ", ".join(sorted(meta)))


if __name__ == "__main__":
    main()
