/*
 * metrics.c - sklearn.metrics' definitions (see metrics.h).
 * STUB: first commit publishes the API only; bodies follow.
 */
#include "metrics.h"

mlp_status mlp_regression_metrics(size_t n, size_t outputs, const double *y_true,
                                  const double *y_pred, mlp_regression_scores *out)
{
    (void)n; (void)outputs; (void)y_true; (void)y_pred; (void)out;
    return MLP_ERR_INVALID;
}
size_t mlp_argmax(const double *p, size_t k) { (void)p; (void)k; return 0; }
mlp_status mlp_predict_classes(size_t n, size_t width, const double *probs, size_t *pred)
{
    (void)n; (void)width; (void)probs; (void)pred;
    return MLP_ERR_INVALID;
}
mlp_status mlp_confusion_matrix(size_t n, size_t k, const size_t *y_true, const size_t *y_pred,
                                size_t *cm)
{
    (void)n; (void)k; (void)y_true; (void)y_pred; (void)cm;
    return MLP_ERR_INVALID;
}
mlp_status mlp_class_metrics(size_t k, const size_t *cm, double *precision, double *recall,
                             double *f1, mlp_class_scores *out)
{
    (void)k; (void)cm; (void)precision; (void)recall; (void)f1; (void)out;
    return MLP_ERR_INVALID;
}
mlp_status mlp_log_loss(size_t n, size_t width, const size_t *y_true, const double *probs,
                        double *out)
{
    (void)n; (void)width; (void)y_true; (void)probs; (void)out;
    return MLP_ERR_INVALID;
}
size_t mlp_roc_auc_work_size(size_t n) { return 2 * n; }
mlp_status mlp_roc_auc(size_t n, const size_t *y_true, const double *score, double *work,
                       double *out)
{
    (void)n; (void)y_true; (void)score; (void)work; (void)out;
    return MLP_ERR_INVALID;
}
