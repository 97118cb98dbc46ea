/*
 * metrics.h - scores of predictions against the truth, with scikit-learn's
 * definitions (sklearn.metrics as Debian 12's python3-sklearn 1.2 computes
 * them), so that evaluate's numbers equal what a user computes there.
 *
 * Regression: y_true and y_pred are n x outputs, row-major.
 * Classification: classes are indices 0..k-1 (the model's `classes`
 * order); probabilities are n x k rows (softmax), or n x 1 for a single
 * sigmoid unit whose output is the probability of class 1 (then k == 2).
 *
 * No function allocates; every array is the caller's. Every function
 * returns MLP_ERR_INVALID for n == 0, NULL arrays, a class index >= k or
 * k < 2 where classes are involved, and MLP_ERR_NONFINITE for a non-finite
 * input value; outputs are then untouched.
 */
#ifndef MLPD_CORE_METRICS_H
#define MLPD_CORE_METRICS_H

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Regression                                                          */

typedef struct mlp_regression_scores {
    double mse;  /* mean_squared_error, uniform average over outputs */
    double rmse; /* mean_squared_error(squared=False): the mean over outputs
                    of each output's root (not the root of mse) */
    double mae;  /* mean_absolute_error, uniform average */
    double r2;   /* r2_score, uniform average over outputs; per output
                    1 - SS_res / SS_tot, and for a constant target column
                    (SS_tot == 0) 1.0 if SS_res == 0 else 0.0 (sklearn's
                    force_finite); NaN when n < 2 (sklearn: undefined) */
} mlp_regression_scores;

mlp_status mlp_regression_metrics(size_t n, size_t outputs, const double *y_true,
                                  const double *y_pred, mlp_regression_scores *out);

/* ------------------------------------------------------------------ */
/* Classification                                                      */

/* Index of the largest of p[0..k) (ties to the first). k == 1 is one
 * sigmoid unit: 1 if p[0] > 0.5, else 0 (the probabilities [1-p, p] with
 * ties to the first; sklearn's threshold). Returns 0 for k == 0. */
size_t mlp_argmax(const double *p, size_t k);

/* pred[i] = mlp_argmax(probs + i*width, width) for n rows; width is k, or
 * 1 for a single sigmoid unit. */
mlp_status mlp_predict_classes(size_t n, size_t width, const double *probs, size_t *pred);

/* cm (k x k, row-major, rows the true class, columns the predicted) =
 * counts; sklearn's confusion_matrix(labels=range(k)). */
mlp_status mlp_confusion_matrix(size_t n, size_t k, const size_t *y_true,
                                const size_t *y_pred, size_t *cm);

typedef struct mlp_class_scores {
    double accuracy;        /* accuracy_score */
    double macro_precision; /* unweighted means over all k classes */
    double macro_recall;
    double macro_f1;
} mlp_class_scores;

/* From a confusion matrix cm (k x k, as above, total n > 0):
 * precision[c] = tp / (tp + fp), recall[c] = tp / (tp + fn),
 * f1[c] = 2 p r / (p + r), each 0 where its denominator is 0 (sklearn's
 * zero_division=0, labels=range(k): a class never seen nor predicted
 * counts as 0 in the macro means). precision, recall, f1 are k doubles
 * each (each may be NULL if not wanted). MLP_ERR_INVALID for k < 2 or an
 * empty matrix. */
mlp_status mlp_class_metrics(size_t k, const size_t *cm, double *precision, double *recall,
                             double *f1, mlp_class_scores *out);

/* sklearn's log_loss(y_true, probs, labels=range(k)) with eps="auto"
 * (DBL_EPSILON): each probability is clipped to [eps, 1 - eps], a single
 * sigmoid column p becomes [1 - p, p] (after clipping), each row is
 * divided by its sum, and the loss is the mean over rows of
 * -ln(p[row][true class]). width is k, or 1 for one sigmoid unit (k 2). */
mlp_status mlp_log_loss(size_t n, size_t width, const size_t *y_true, const double *probs,
                        double *out);

/* Doubles of scratch mlp_roc_auc needs: 2 n. */
size_t mlp_roc_auc_work_size(size_t n);

/* sklearn's roc_auc_score for two classes: y_true in {0, 1}, score[i] the
 * score of class 1 (the sigmoid output, or the softmax's second column).
 * The ROC curve steps through distinct score values (tied scores form one
 * step, so a tie between classes counts one half) and the area is the
 * trapezoidal rule over it. work holds mlp_roc_auc_work_size(n) doubles.
 * MLP_ERR_INVALID also when only one class occurs in y_true (sklearn
 * raises then: the AUC is undefined). */
mlp_status mlp_roc_auc(size_t n, const size_t *y_true, const double *score, double *work,
                       double *out);

#ifdef __cplusplus
}
#endif
#endif
