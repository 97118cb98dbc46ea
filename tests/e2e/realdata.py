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
    elif cmd == "metrics":
        out = metrics(d, int(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit("unknown command " + cmd)
    print(json.dumps(out))


main()
