/*
 * schedule.c - learning-rate schedules (see schedule.h for the formulas).
 *
 * The state machine has one state per run: the rate of the next epoch,
 * plus reduce_on_plateau's best loss and no-improvement count, updated in
 * mlp_schedule_epoch_end in the order of sklearn's _fit_stochastic
 * (_update_no_improvement_count, then iteration_ends, then the
 * n_iter_no_change test with trigger_stopping).
 */
#include "schedule.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int mlp_schedule_from_name(const char *name)
{
    static const struct {
        int id;
        const char *name;
    } names[] = {
        {MLP_SCHED_CONSTANT, "constant"},   {MLP_SCHED_STEP, "step"},
        {MLP_SCHED_INVSCALING, "invscaling"}, {MLP_SCHED_COSINE, "cosine"},
        {MLP_SCHED_PLATEAU, "reduce_on_plateau"}, {MLP_SCHED_PLATEAU, "adaptive"},
    };
    if (name == NULL)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].id;
    return 0;
}

const char *mlp_schedule_name(int id)
{
    switch (id) {
    case 0:
    case MLP_SCHED_CONSTANT: return "constant";
    case MLP_SCHED_STEP: return "step";
    case MLP_SCHED_INVSCALING: return "invscaling";
    case MLP_SCHED_COSINE: return "cosine";
    case MLP_SCHED_PLATEAU: return "reduce_on_plateau";
    default: return NULL;
    }
}

mlp_schedule mlp_default_schedule(int method)
{
    mlp_schedule s = {
        .method = method,
        .step_size = 10,
        .gamma = 0.1,
        .power_t = 0.5,
        .eta_min = 0.0,
        .tol = 1e-4,
        .patience = 10,
        .divisor = 5.0,
        .min_rate = 1e-6,
    };
    return s;
}

static mlp_status sched_fail(mlp_spec_error *err, const char *field, const char *message)
{
    if (err) {
        snprintf(err->field, sizeof err->field, "schedule.%s", field);
        snprintf(err->message, sizeof err->message, "%s", message);
    }
    return MLP_ERR_INVALID;
}

mlp_status mlp_schedule_check(const mlp_schedule *s, double eta0, mlp_spec_error *err)
{
    if (s == NULL)
        return MLP_OK;
    switch (s->method) {
    case 0:
    case MLP_SCHED_CONSTANT:
        return MLP_OK;
    case MLP_SCHED_STEP:
        if (s->step_size == 0)
            return sched_fail(err, "step_size", "must be at least 1");
        if (!isfinite(s->gamma) || s->gamma <= 0.0 || s->gamma > 1.0)
            return sched_fail(err, "gamma", "must be in (0, 1]");
        return MLP_OK;
    case MLP_SCHED_INVSCALING:
        if (!isfinite(s->power_t) || s->power_t < 0.0)
            return sched_fail(err, "power_t", "must be a finite number >= 0");
        return MLP_OK;
    case MLP_SCHED_COSINE:
        if (!isfinite(s->eta_min) || s->eta_min < 0.0 || !(s->eta_min <= eta0))
            return sched_fail(err, "eta_min", "must be in [0, learning_rate]");
        return MLP_OK;
    case MLP_SCHED_PLATEAU:
        if (!isfinite(s->tol) || s->tol < 0.0)
            return sched_fail(err, "tol", "must be a finite number >= 0");
        if (s->patience == 0)
            return sched_fail(err, "patience", "must be at least 1");
        if (!isfinite(s->divisor) || s->divisor <= 1.0)
            return sched_fail(err, "divisor", "must be a finite number above 1");
        if (!isfinite(s->min_rate) || s->min_rate < 0.0)
            return sched_fail(err, "min_rate", "must be a finite number >= 0");
        return MLP_OK;
    default:
        return sched_fail(err, "method", "unknown schedule");
    }
}

void mlp_schedule_start(const mlp_schedule *s, double eta0, mlp_schedule_state *st)
{
    (void)s;
    st->rate = eta0;
    st->epoch = 0;
    st->best_loss = INFINITY;
    st->no_improve = 0;
    st->stop = 0;
}

double mlp_schedule_rate(const mlp_schedule *s, double eta0, size_t epoch, size_t epochs,
                         size_t n_samples)
{
    size_t done = epoch > 0 ? epoch - 1 : 0; /* epochs before this one */
    if (s == NULL)
        return eta0;
    switch (s->method) {
    case MLP_SCHED_STEP: {
        size_t drops = done / s->step_size; /* whole steps before this epoch */
        return eta0 * pow(s->gamma, (double)drops);
    }
    case MLP_SCHED_INVSCALING:
        if (done == 0)
            return eta0;
        /* sklearn: float(eta0) / (t_ + 1) ** power_t with t_ = done * n */
        return eta0 / pow((double)done * (double)n_samples + 1.0, s->power_t);
    case MLP_SCHED_COSINE: {
        double T = epochs > 0 ? (double)epochs : 1.0;
        return s->eta_min + (eta0 - s->eta_min) * (1.0 + cos(3.14159265358979323846 * (double)done / T)) / 2.0;
    }
    default: /* constant; plateau before any drop */
        return eta0;
    }
}

/* sklearn's _update_no_improvement_count (training loss, no early
 * stopping), then its n_iter_no_change test and trigger_stopping. */
static void plateau_epoch_end(const mlp_schedule *s, double loss, mlp_schedule_state *st)
{
    if (loss > st->best_loss - s->tol)
        st->no_improve++;
    else
        st->no_improve = 0;
    if (loss < st->best_loss)
        st->best_loss = loss;
    if (st->no_improve > s->patience) {
        if (st->rate <= s->min_rate) {
            st->stop = 1;
            return;
        }
        st->rate /= s->divisor;
        st->no_improve = 0;
    }
}

void mlp_schedule_epoch_end(const mlp_schedule *s, double eta0, size_t epochs, size_t n_samples,
                            double loss, mlp_schedule_state *st)
{
    st->epoch++;
    if (s == NULL || s->method == 0 || s->method == MLP_SCHED_CONSTANT)
        return;
    if (s->method == MLP_SCHED_PLATEAU) {
        plateau_epoch_end(s, loss, st);
        return;
    }
    st->rate = mlp_schedule_rate(s, eta0, st->epoch + 1, epochs, n_samples);
}
