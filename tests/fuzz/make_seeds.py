#!/usr/bin/env python3
"""Write the seed corpora under tests/fuzz/corpus/<target>/ (run once; the
files are kept in the repo). Small, meaningful inputs: one per shape the
target takes, plus the classic traps of RELIABILITY.md (1e999, 3.7 for an
integer, duplicate keys, deep nesting, \\u0000, trailing garbage)."""
import os, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = (b'{"name":"xor","inputs":2,"layers":[{"units":3,"activation":"sigmoid"},'
         b'{"units":1,"activation":"linear"}],"loss":"mse","init":{"method":"xavier","seed":42}}')
WEIGHTS = (b'{"layers":[{"weights":[[0.2,-0.3],[0.4,0.1],[-0.5,0.2]],"biases":[0.1,-0.2,0.05]},'
           b'{"weights":[[0.3,-0.6,0.9]],"biases":[0.1]}]}')


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def blob(inputs, layers, params, loss=1):
    b = b"MLPD" + struct.pack("<IIIII", 1, 7, loss, inputs, len(layers))
    for units, act in layers:
        b += struct.pack("<II", units, act)
    b += struct.pack("<Q", len(params)) + b"".join(struct.pack("<d", p) for p in params)
    return b + struct.pack("<I", zlib.crc32(b))


# body: byte 0 picks the endpoint (see fuzz_body.c)
body = {
    "create": (0, MODEL),
    "create_traps": (0, b'{"name":"a","name":"b","inputs":1e999,"layers":[{"units":3.7}]}'),
    "create_deep": (0, b'{"name":' + b"[" * 20 + b"]" * 20 + b"}"),
    "weights": (1, WEIGHTS),
    "samples_pairs": (2, b'{"samples":[{"x":[0,1],"y":[1]},{"x":[1,1],"y":[0]}]}'),
    "samples_cols": (2, b'{"inputs":[[0,0],[1,0]],"targets":[[0],[1]]}'),
    "samples_csv": (3, b"x1,x2,y\n0,0,0\r\n0,1,1\n\n1,0,1\n1,1,0\n"),
    "train": (4, b'{"epochs":3,"learning_rate":0.5,"batch_size":2,"optimizer":"adam","shuffle":true,"seed":7,"validation_split":0.25}'),
    "predict": (5, b'{"inputs":[[0.5,-1],[0,0]]}'),
    "predict_v1": (6, b'{"instances":[[0.5,-1]]}'),
    "step": (7, b'{"x":[0.5,-1],"y":[1],"learning_rate":0.5,"apply":false,"check":true}'),
    "parse_nul": (8, b'{"inputs":"a\\u0000b"}'),
    "parse_trailing": (8, b'{"inputs":[[1]]} xyz'),
    "parse_utf8": (8, b'{"inputs":"\xc3\x28"}'),
}
for name, (sel, data) in body.items():
    write("body", name, bytes([sel]) + data)

# api: METHOD \0 PATH?QUERY \0 HEADERS \0 BODY
J = b"Content-Type: application/json"
api = {
    "create": (b"POST", b"/v1/models", J, MODEL),
    "list": (b"GET", b"/v1/models", b"", b""),
    "get": (b"GET", b"/v1/models/{M}", b"", b""),
    "weights_get": (b"GET", b"/v1/models/{M}/weights?version=1", b"", b""),
    "weights_put": (b"PUT", b"/v1/models/{M}/weights", J, WEIGHTS),
    "samples_csv": (b"POST", b"/v1/models/{M}/samples", b"Content-Type: text/csv", b"0,0,0\n1,1,0\n"),
    "samples_list": (b"GET", b"/v1/models/{M}/samples?offset=1&limit=2", b"", b""),
    "train": (b"POST", b"/v1/models/{M}/train?wait=true", J, b'{"epochs":2}'),
    "job": (b"GET", b"/v1/jobs/{J}", b"", b""),
    "job_cancel": (b"DELETE", b"/v1/jobs/{J}", b"", b""),
    "jobs": (b"GET", b"/v1/models/{M}/jobs", b"", b""),
    "history": (b"GET", b"/v1/models/{M}/history", b"", b""),
    "versions": (b"GET", b"/v1/models/{M}/versions", b"", b""),
    "restore": (b"POST", b"/v1/models/{M}/versions/1/restore", b"", b""),
    "predict": (b"POST", b"/v1/models/{M}/predict", J, b'{"inputs":[[1,2]]}'),
    "predict_v1": (b"POST", b"/v1/models/{M}:predict", b"content-type: application/json; charset=utf-8", b'{"instances":[[1,2]]}'),
    "step": (b"POST", b"/v1/models/{M}/step", J, b'{"x":[1,0],"y":[1],"learning_rate":0.1}'),
    "metrics": (b"GET", b"/metrics", b"", b""),
    "health": (b"GET", b"/v2/health/ready", b"", b""),
    "bad_method": (b"PATCH", b"/v1/models/{M}", b"", b""),
    "traversal": (b"GET", b"/v1/models/../../etc/passwd", b"", b""),
    "delete_samples": (b"DELETE", b"/v1/models/{M}/samples", b"", b""),
    "onnx_export": (b"GET", b"/v1/models/{M}/export?format=onnx&dtype=float64&version=1", b"", b""),
    "tf_metadata": (b"GET", b"/v1/models/{M}/metadata", b"", b""),
    "tf_columnar": (b"POST", b"/v1/models/{M}:predict", J, b'{"signature_name":"serving_default","inputs":{"input":[[1,2]]}}'),
    "v2_server": (b"GET", b"/v2", b"", b""),
    "v2_model": (b"GET", b"/v2/models/{M}/versions/1", b"", b""),
    "v2_ready": (b"GET", b"/v2/models/{M}/ready", b"", b""),
    "v2_infer": (b"POST", b"/v2/models/{M}/infer", J, b'{"id":"1","parameters":{"a":1},"inputs":[{"name":"input","shape":[1,2],"datatype":"FP32","data":[[1,2]]}]}'),
}
for name, (m, p, h, b) in api.items():
    write("api", name, m + b"\0" + p + b"\0" + h + b"\0" + b)

csv = {
    "header": (1, 0, b"a,b,y\n1,2,3\n4,5,6\n"),
    "crlf_spaces": (2, 1, b" 1.5 ,\t-2e3 , 0.25, 1, 0\r\n"),
    "bad_number": (0, 0, b"1,nan\n"),
    "short_row": (1, 0, b"1,2\n"),
    # byte 0: bits 3-4 header mode (1 yes, 2 no), bit 5 label mode
    "quoted": (0x01, 0, b'"x,1","say ""hi""",y\r\n"1.5",2,"3"\n\n4 , 5 ,6\n'),
    "quoted_newline": (0x01, 0, b'"multi\nline",b,c\n1,2,3\n'),
    "labels": (0x21, 0, b"sepal length,sepal width,species\n5.1,3.5,setosa\n7.0,3.2,\"versi,color\"\n6.3,3.3, virginica \n"),
    "labels_utf8": (0x20, 0, b"1.5,\xc3\xa9t\xc3\xa9\n2,\"\xe2\x82\xac \"\"q\"\"\"\n"),
    "labels_bad_utf8": (0x20, 0, b"1,\xc0\xaf\n"),
    "header_yes": (0x09, 0, b"1,2,3\n4,5,6\n"),
    "header_no": (0x11, 0, b"a,b,c\n1,2,3\n"),
    "unclosed_quote": (0x21, 0, b'1,2,"open\n3,4,x\n'),
    "after_quote": (0x01, 0, b'1,"2"x,3\n'),
}
for name, (i, o, text) in csv.items():
    write("csv", name, bytes([i, o]) + text)

fast = {
    "one_row": (1, b'{"inputs":[[0.5,-1]]}'),
    "many": (2, b' { "inputs" : [ [1,2,3] , [-0.0,1e-300,4E+2] ] } \n'),
    "other_key": (0, b'{"instances":[[1]]}'),
    "nan": (0, b'{"inputs":[[NaN]]}'),
}
for name, (c, text) in fast.items():
    write("fastrows", name, bytes([c]) + text)

lecture = blob(2, [(3, 1), (1, 3)], [0.2, -0.3, 0.4, 0.1, -0.5, 0.2, 0.1, -0.2, 0.05, 0.3, -0.6, 0.9, 0.1])
model = {
    "lecture": (0, lecture),
    "softmax_ce": (0, blob(1, [(2, 2), (2, 5)], [0.5, -0.5, 0, 0, 1, -1, 1, -1, 0, 0], loss=2)),
    "bad_crc": (0, lecture[:-1] + bytes([lecture[-1] ^ 1])),
    "fix_crc_nan": (1, blob(1, [(1, 3)], [float("nan"), 0.0])),
    "truncated": (0, lecture[:40]),
}
for name, (mode, b) in model.items():
    write("model", name, bytes([mode]) + b)

# v2infer: byte 0 = inputs - 1 (see fuzz_v2infer.c); KServe v2 infer bodies
v2 = {
    "flat": (1, b'{"id":"42","inputs":[{"name":"input","shape":[2,2],"datatype":"FP64","data":[1,2,3,4]}]}'),
    "nested": (1, b'{"inputs":[{"name":"input","shape":[2,2],"datatype":"FP64","data":[[1,2],[3,4]]}],'
                  b'"outputs":[{"name":"output","parameters":{"binary_data":false}}]}'),
    "fp32_params": (2, b'{"parameters":{"a":1,"b":"x","c":true},"inputs":[{"name":"input","shape":[1,3],'
                       b'"datatype":"FP32","parameters":{},"data":[0.1,1e38,-3.5]}]}'),
    "fp32_range": (0, b'{"inputs":[{"name":"input","shape":[1,1],"datatype":"FP32","data":[1e39]}]}'),
    "big_shape": (0, b'{"inputs":[{"name":"input","shape":[18446744073709551615,1],"datatype":"FP64","data":[1]}]}'),
    "shape_lies": (0, b'{"inputs":[{"name":"input","shape":[3,1],"datatype":"FP64","data":[1,2]}]}'),
    "traps": (0, b'{"inputs":[{"name":"input","name":"x","shape":[1,1.5],"datatype":"FP16","data":[1e999]}]}'),
    "two_inputs": (0, b'{"inputs":[{"name":"input","shape":[1,1],"datatype":"FP64","data":[1]},{}]}'),
    "ragged": (1, b'{"inputs":[{"name":"input","shape":[2,2],"datatype":"FP64","data":[[1,2],[3]]}]}'),
}
for name, (c, text) in v2.items():
    write("v2infer", name, bytes([c]) + text)

# resume: byte 0 = the training (bit 0-1 optimizer, 2 patience, 3 batch 3,
# 4 float32, 5 plateau schedule, 6 CRC left wrong), byte 1 = the epoch
# saved, byte 2 = how much is cut (odd: some), then (offset, xor) pairs
# (see fuzz_resume.c)
resume = {
    "sgd_intact": bytes([0, 2, 0]),
    "adam_patience": bytes([1 | 4, 3, 0]),
    "momentum_batches": bytes([2 | 8, 1, 0]),
    "float32_adam": bytes([1 | 16, 4, 0]),
    "plateau_last": bytes([32, 5, 0]),
    "cut_short": bytes([1, 2, 9]),
    "flipped_crc_fixed": bytes([4 | 8, 2, 0, 5, 0x80, 40, 0x01, 77, 0xff]),
    "flipped_crc_wrong": bytes([64, 2, 0, 5, 0x80]),
}
for name, b in resume.items():
    write("resume", name, b)
