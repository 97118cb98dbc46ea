/*
 * schedule.c - learning-rate schedules (see schedule.h).
 * STUB: first commit publishes the API only; bodies follow.
 */
#include "schedule.h"

int mlp_schedule_from_name(const char *name) { (void)name; return 0; }
const char *mlp_schedule_name(int id) { (void)id; return NULL; }
mlp_schedule mlp_default_schedule(int method)
{
    mlp_schedule s = {.method = method};
    return s;
}
mlp_status mlp_schedule_check(const mlp_schedule *s, double eta0, mlp_spec_error *err)
{
    (void)s; (void)eta0; (void)err;
    return MLP_OK;
}
void mlp_schedule_start(const mlp_schedule *s, double eta0, mlp_schedule_state *st)
{
    (void)s;
    *st = (mlp_schedule_state){.rate = eta0};
}
void mlp_schedule_epoch_end(const mlp_schedule *s, double eta0, size_t epochs, size_t n_samples,
                            double loss, mlp_schedule_state *st)
{
    (void)s; (void)eta0; (void)epochs; (void)n_samples; (void)loss;
    st->epoch++;
}
double mlp_schedule_rate(const mlp_schedule *s, double eta0, size_t epoch, size_t epochs,
                         size_t n_samples)
{
    (void)s; (void)epoch; (void)epochs; (void)n_samples;
    return eta0;
}
