"""tests/e2e/realdata.py - the outside reference for tests/e2e/realdata.sh:
Debian's python3-sklearn (run with /usr/bin/python3).

  realdata.py prep DIR            shuffled copies of tests/data/*.csv in DIR
                                  (bc.csv, diab.csv; same header), and the
                                  validation rows as predict bodies
  realdata.py sklearn-bc DIR N    StandardScaler + MLPClassifier fitted on
                                  the first N rows of bc.csv, scored on the
                                  rest: {"accuracy", "mean", "scale"}
  realdata.py scaler DIR FILE N K the StandardScaler of the first N rows of
                                  FILE's column block K ("x" or "y"):
                                  {"mean", "scale"}
  realdata.py onnx-run DIR F IN   check ONNX file F and run it on IN's
                                  "inputs" with numpy: {"outputs", "metadata"}
  realdata.py metrics DIR N PRED  sklearn.metrics on mlpd's own predictions
                                  (PRED: predict's answer for the rows after
                                  the first N of bc.csv): the evaluate shape
Prints one JSON object.
"""
import csv
import json
import random
import sys

import numpy as np


def read(path, labels):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    x = np.array([[float(v) for v in r[:-1]] for r in data])
    if labels:
        y = [r[-1] for r in data]
    else:
        y = np.array([[float(r[-1])] for r in data])
    return header, data, x, y


def shuffled(src, dst, seed):
    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    random.Random(seed).shuffle(data)
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")  # RFC 4180's CRLF
        w.writerow(header)  # minimal quoting: the names have no commas
        w.writerows(data)


def prep(d):
    shuffled("tests/data/breast_cancer.csv", d + "/bc.csv", 13)
    shuffled("tests/data/diabetes.csv", d + "/diab.csv", 5)
    return {"ok": True}


def sklearn_bc(d, n):
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
    _, _, x, y = read(d + "/bc.csv", True)
    sc = StandardScaler().fit(x[:n])
    accs = []
    for seed in range(3):  # the mean over seeds: one seed is noisy
        clf = MLPClassifier(hidden_layer_sizes=(16,), solver="adam", learning_rate_init=0.01,
                            batch_size=32, max_iter=60, random_state=seed)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(sc.transform(x[:n]), y[:n])
        accs.append(float(clf.score(sc.transform(x[n:]), y[n:])))
    return {"accuracy": sum(accs) / len(accs), "accuracies": accs,
            "mean": sc.mean_.tolist(), "scale": sc.scale_.tolist()}


def scaler(d, name, n, block):
    from sklearn.preprocessing import StandardScaler
    _, _, x, y = read(d + "/" + name, False)
    m = x if block == "x" else y
    sc = StandardScaler().fit(m[:n])
    return {"mean": sc.mean_.tolist(), "scale": sc.scale_.tolist()}


def rows(d, n):
    _, _, x, y = read(d + "/bc.csv", True)
    return {"inputs": x[n:].tolist(), "labels": y[n:]}


def metrics(d, n, pred_file):
    from sklearn import metrics as M
    classes = ["malignant", "benign"]
    _, _, x, y = read(d + "/bc.csv", True)
    truth = [classes.index(v) for v in y[n:]]
    pred = json.load(open(pred_file))
    p1 = np.array([o[0] for o in pred["outputs"]])  # one sigmoid unit: P(benign)
    labels = [classes.index(v) for v in pred["labels"]]
    prec, rec, f1, _ = M.precision_recall_fscore_support(truth, labels, labels=[0, 1],
                                                         zero_division=0)
    return {
        "accuracy": M.accuracy_score(truth, labels),
        "confusion_matrix": M.confusion_matrix(truth, labels, labels=[0, 1]).tolist(),
        "precision": prec.tolist(), "recall": rec.tolist(), "f1": f1.tolist(),
        "macro_precision": float(np.mean(prec)), "macro_recall": float(np.mean(rec)),
        "macro_f1": float(np.mean(f1)),
        "log_loss": M.log_loss(truth, np.column_stack([1 - p1, p1]), labels=[0, 1]),
        "roc_auc": M.roc_auc_score(truth, p1),
        # the labels predict gives are the > 0.5 rule on its outputs
        "labels_match": all((p > 0.5) == (c == 1) for p, c in zip(p1, labels)),
    }


def onnx_run(model_file, inputs_file):
    """Check the export and run it with numpy (python3-onnx 1.12 has no
    evaluator): the ops mlpd writes, on float64."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(model_file)
    onnx.checker.check_model(m, full_check=True)
    env = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    env["input"] = np.array(json.load(open(inputs_file))["inputs"], dtype=np.float64)
    for n in m.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        x = [env[i] for i in n.input]
        op = n.op_type
        if op == "Gemm":
            A = x[0].T if a.get("transA") else x[0]
            B = x[1].T if a.get("transB") else x[1]
            y = a.get("alpha", 1.0) * (A @ B) + (a.get("beta", 1.0) * x[2] if len(x) > 2 else 0)
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](x[0], x[1])
        elif op == "Relu":
            y = np.maximum(x[0], 0)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-x[0]))
        elif op == "Tanh":
            y = np.tanh(x[0])
        elif op == "Softmax":
            e = np.exp(x[0] - x[0].max(axis=a.get("axis", -1), keepdims=True))
            y = e / e.sum(axis=a.get("axis", -1), keepdims=True)
        else:
            raise SystemExit("unexpected op " + op)
        env[n.output[0]] = y
    meta = {p.key: p.value for p in m.metadata_props}
    return {"outputs": env["output"].tolist(), "metadata": meta,
            "ops": [n.op_type for n in m.graph.node]}


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "prep":
        out = prep(d)
    elif cmd == "sklearn-bc":
        out = sklearn_bc(d, int(sys.argv[3]))
    elif cmd == "scaler":
        out = scaler(d, sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "rows":
        out = rows(d, int(sys.argv[3]))
    elif cmd == "onnx-run":
        out = onnx_run(sys.argv[3], sys.argv[4])
    elif cmd == "metrics":
        out = metrics(d, int(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit("unknown command " + cmd)
    print(json.dumps(out))


main()
