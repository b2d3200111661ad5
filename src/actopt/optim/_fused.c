/* actopt's fused CPU kernels: each update rule as one pass over memory.
 *
 * The Python rules (_sgd.py, _adam.py, _adaptive.py) run one tensor operation at a time, so a
 * step streams every state tensor through memory once per operation. Here each element is read
 * once, updated by the whole rule in registers and written once, which is what makes
 * torch.optim's fused kernels fast; the arithmetic follows the Python rules operation by
 * operation (tests check the iterates against them and against torch.optim).
 *
 * One call updates a whole list of tensors. Every kernel has the same C signature:
 *   n           number of tensors
 *   bufs        nbufs * n pointers, buffer-major: bufs[k * n + i] is buffer k of tensor i
 *               (k = 0 the parameter, 1 its gradient, then the state tensors)
 *   numel       elements of each tensor (all buffers of a tensor have the same size)
 *   per_tensor  scalars that differ per tensor (bias corrections, ...), slot-major:
 *               PT(c, s, i) = per_tensor[s * n + i] is slot s of tensor i
 *   scalars     hyper-parameters shared by the list
 *   flags       the rule's options as bits
 *   nthreads    the elements of all tensors together are cut into nthreads equal spans
 * Scalars arrive as doubles and are rounded to the element type once, as torch does with
 * Python-number arguments.
 *
 * Rounding: each operation rounds as torch's vectorised CPU kernel for it does, so add(alpha=),
 * addcmul and lerp are one fma() each and everything else rounds after every operation. SGD's
 * family so reproduces torch.optim bit for bit; the adaptive rules differ only where torch's
 * float32 sqrt is not correctly rounded (this sqrt is).
 *
 * Built by _fused.py with the machine's C compiler (-O3 -march=native, no fast-math).
 */
#include <tgmath.h> /* sqrt of a float is sqrtf: no detour through double */
#include <stddef.h>
#include <stdint.h>

/* below this many elements per thread, starting a thread costs more than it saves */
#define MIN_PER_THREAD 32768

enum { MAXIMIZE = 1, WEIGHT_DECAY = 2, DECOUPLED = 4, MOMENTUM = 8, NESTEROV = 16, AMSGRAD = 32 };
enum { CENTERED = 128, FIRST = 64 }; /* SGD: the momentum buffer's first step; set per tensor, not by Python */

typedef struct call call;
typedef void range_fn(const call *c, int i, int64_t lo, int64_t hi);

struct call {
    int n;
    void *const *bufs;
    const int64_t *numel;
    const double *per_tensor;
    const double *scalars;
    int flags;
    range_fn *range;
};

#define BUF(c, k, i) ((c)->bufs[(k) * (c)->n + (i)])
#define PT(c, s, i) ((c)->per_tensor[(s) * (c)->n + (i)])

/* The k-th of `parts` equal spans of the concatenation of all tensors, cut on 64-element
 * boundaries (whole cache lines, aligned vector loops), run tensor by tensor. */
static void run_part(const call *c, int64_t total, int k, int parts) {
    int64_t chunk = ((total + parts - 1) / parts + 63) & ~(int64_t)63;
    int64_t begin = k * chunk < total ? k * chunk : total;
    int64_t end = (k + 1) * chunk < total ? (k + 1) * chunk : total;
    int64_t offset = 0;
    for (int i = 0; i < c->n && offset < end; i++) {
        int64_t lo = begin > offset ? begin - offset : 0;
        int64_t hi = end - offset < c->numel[i] ? end - offset : c->numel[i];
        if (lo < hi) c->range(c, i, lo, hi);
        offset += c->numel[i];
    }
}

#ifdef _OPENMP
/* OpenMP, built against the libgomp torch has already loaded (same soname): the kernels share
 * torch's warm thread pool instead of competing with it for the cores. */
#include <omp.h>

static void run(const call *c, int nthreads) {
    int64_t total = 0;
    for (int i = 0; i < c->n; i++) total += c->numel[i];
    if (nthreads > total / MIN_PER_THREAD) nthreads = (int)(total / MIN_PER_THREAD);
    if (nthreads <= 1) {
        run_part(c, total, 0, 1);
        return;
    }
#pragma omp parallel num_threads(nthreads)
    run_part(c, total, omp_get_thread_num(), omp_get_num_threads());
}
#else
/* Without OpenMP (a compiler that lacks it): a thread per part, joined before returning. */
#include <pthread.h>
#define MAX_THREADS 64

typedef struct {
    const call *c;
    int64_t total;
    int k, parts;
} part;

static void *run_thread(void *arg) {
    const part *p = arg;
    run_part(p->c, p->total, p->k, p->parts);
    return NULL;
}

static void run(const call *c, int nthreads) {
    int64_t total = 0;
    for (int i = 0; i < c->n; i++) total += c->numel[i];
    if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
    if (nthreads > total / MIN_PER_THREAD) nthreads = (int)(total / MIN_PER_THREAD);
    if (nthreads < 1) nthreads = 1;
    pthread_t threads[MAX_THREADS];
    part parts[MAX_THREADS];
    int started = 0;
    for (int k = 0; k < nthreads; k++) parts[k] = (part){c, total, k, nthreads};
    for (int k = 1; k < nthreads; k++) {
        if (pthread_create(&threads[k], NULL, run_thread, &parts[k]) != 0) break;
        started = k;
    }
    run_thread(&parts[0]);
    for (int k = started + 1; k < nthreads; k++) run_thread(&parts[k]); /* not started */
    for (int k = 1; k <= started; k++) pthread_join(threads[k], NULL);
}
#endif

/* ---- the rules, once per element type ---------------------------------------------------- */

/* Each rule is a loop over one tensor's span with its options f as bits. The loop is inlined
 * into a switch over the common option sets, so that each of those compiles to its own
 * branch-free vector loop; any other combination runs the general loop. */
#define INLINE static inline __attribute__((always_inline))
#define SPECIALISE(loop, c, i, lo, hi, f, A, B, C)                                               \
    switch (f) {                                                                               \
        case A: loop(c, i, lo, hi, A); break;                                                  \
        case B: loop(c, i, lo, hi, B); break;                                                  \
        case C: loop(c, i, lo, hi, C); break;                                                  \
        default: loop(c, i, lo, hi, f);                                                        \
    }

/* SGD with optional weight decay, (Nesterov) momentum and dampening (_sgd.py).
 * bufs: param, grad[, momentum buffer]. PT slot 0: 1 on the buffer's first step (b = g).
 * scalars: lr, weight_decay, momentum, dampening. */
#define SGD_RULE(T)                                                                              \
    INLINE void sgd_loop_##T(const call *c, int i, int64_t lo, int64_t hi, const int f) {      \
        T *restrict p = BUF(c, 0, i);                                                          \
        const T *restrict g = BUF(c, 1, i);                                                    \
        T *restrict b = (f & MOMENTUM) ? BUF(c, 2, i) : NULL;                                  \
        const T lr = (T)c->scalars[0], wd = (T)c->scalars[1], mu = (T)c->scalars[2];           \
        const T keep = (T)(1.0 - c->scalars[3]);                                               \
        for (int64_t j = lo; j < hi; j++) {                                                    \
            T d = (f & MAXIMIZE) ? -g[j] : g[j];                                               \
            if (f & WEIGHT_DECAY) d = fma(p[j], wd, d);                                        \
            if (f & MOMENTUM) {                                                                \
                T bj = (f & FIRST) ? d : fma(d, keep, b[j] * mu);                              \
                b[j] = bj;                                                                     \
                d = (f & NESTEROV) ? fma(bj, mu, d) : bj;                                      \
            }                                                                                  \
            p[j] = fma(d, -lr, p[j]);                                                          \
        }                                                                                      \
    }                                                                                          \
    static void sgd_range_##T(const call *c, int i, int64_t lo, int64_t hi) {                  \
        const int f = c->flags | (PT(c, 0, i) != 0.0 ? FIRST : 0);                          \
        SPECIALISE(sgd_loop_##T, c, i, lo, hi, f, 0, MOMENTUM, MOMENTUM | NESTEROV)             \
    }

/* Adam, AdamW (DECOUPLED) and AMSGrad (_adam.py).
 * bufs: param, grad, exp_avg, exp_avg_sq[, max_exp_avg_sq].
 * PT slots: -lr / (1 - beta1^t), sqrt(1 - beta2^t).
 * scalars: lr, weight_decay, beta1, beta2, eps. */
#define ADAM_RULE(T)                                                                             \
    INLINE void adam_loop_##T(const call *c, int i, int64_t lo, int64_t hi, const int f) {     \
        T *restrict p = BUF(c, 0, i);                                                          \
        const T *restrict g = BUF(c, 1, i);                                                    \
        T *restrict m = BUF(c, 2, i);                                                          \
        T *restrict v = BUF(c, 3, i);                                                          \
        T *restrict vmax = (f & AMSGRAD) ? BUF(c, 4, i) : NULL;                                \
        const T decay = (T)(1.0 - c->scalars[0] * c->scalars[1]), wd = (T)c->scalars[1];       \
        const T w1 = (T)(1.0 - c->scalars[2]), beta2 = (T)c->scalars[3];                       \
        const T w2 = (T)(1.0 - c->scalars[3]), eps = (T)c->scalars[4];                         \
        const T step = (T)PT(c, 0, i);                                                         \
        const T bc2_sqrt = (T)PT(c, 1, i);                                                     \
        for (int64_t j = lo; j < hi; j++) {                                                    \
            T d = (f & MAXIMIZE) ? -g[j] : g[j];                                               \
            T pj = p[j];                                                                       \
            if (f & DECOUPLED) pj = pj * decay;                                                \
            if (f & WEIGHT_DECAY) d = fma(pj, wd, d);                                          \
            T mj = fma(w1, d - m[j], m[j]); /* m.lerp_(g, 1 - beta1) */                        \
            T vj = fma(w2 * d, d, v[j] * beta2);                                               \
            m[j] = mj;                                                                         \
            v[j] = vj;                                                                         \
            if (f & AMSGRAD) {                                                                 \
                vj = vmax[j] > vj ? vmax[j] : vj;                                              \
                vmax[j] = vj;                                                                  \
            }                                                                                  \
            p[j] = pj + step * mj / (sqrt(vj) / bc2_sqrt + eps);                               \
        }                                                                                      \
    }                                                                                          \
    static void adam_range_##T(const call *c, int i, int64_t lo, int64_t hi) {                 \
        SPECIALISE(adam_loop_##T, c, i, lo, hi, c->flags, 0, WEIGHT_DECAY, DECOUPLED)           \
    }

/* AdaGrad (_adaptive.py). bufs: param, grad, sum.
 * PT slot 0: -lr / (1 + (t - 1) lr_decay). scalars: weight_decay, eps. */
#define ADAGRAD_RULE(T)                                                                          \
    INLINE void adagrad_loop_##T(const call *c, int i, int64_t lo, int64_t hi, const int f) {  \
        T *restrict p = BUF(c, 0, i);                                                          \
        const T *restrict g = BUF(c, 1, i);                                                    \
        T *restrict s = BUF(c, 2, i);                                                          \
        const T wd = (T)c->scalars[0], eps = (T)c->scalars[1];                                 \
        const T step = (T)PT(c, 0, i);                                                         \
        for (int64_t j = lo; j < hi; j++) {                                                    \
            T d = (f & MAXIMIZE) ? -g[j] : g[j];                                               \
            if (f & WEIGHT_DECAY) d = fma(p[j], wd, d);                                        \
            T sj = fma(d, d, s[j]);                                                            \
            s[j] = sj;                                                                         \
            p[j] = p[j] + step * d / (sqrt(sj) + eps);                                         \
        }                                                                                      \
    }                                                                                          \
    static void adagrad_range_##T(const call *c, int i, int64_t lo, int64_t hi) {              \
        SPECIALISE(adagrad_loop_##T, c, i, lo, hi, c->flags, 0, WEIGHT_DECAY, MAXIMIZE)         \
    }

/* RMSprop, optionally centered and with momentum (_adaptive.py).
 * bufs: param, grad, square_avg, grad_avg (CENTERED), momentum_buffer (MOMENTUM); a slot the
 * options leave unused holds the parameters again and is never touched.
 * scalars: lr, weight_decay, alpha, eps, momentum. */
#define RMSPROP_RULE(T)                                                                          \
    INLINE void rmsprop_loop_##T(const call *c, int i, int64_t lo, int64_t hi, const int f) {  \
        T *restrict p = BUF(c, 0, i);                                                          \
        const T *restrict g = BUF(c, 1, i);                                                    \
        T *restrict v = BUF(c, 2, i);                                                          \
        T *restrict ga = (f & CENTERED) ? BUF(c, 3, i) : NULL;                                 \
        T *restrict b = (f & MOMENTUM) ? BUF(c, 4, i) : NULL;                                  \
        const T lr = (T)c->scalars[0], wd = (T)c->scalars[1], alpha = (T)c->scalars[2];        \
        const T w = (T)(1.0 - c->scalars[2]), eps = (T)c->scalars[3], mu = (T)c->scalars[4];   \
        const T step = (T)-c->scalars[0];                                                      \
        for (int64_t j = lo; j < hi; j++) {                                                    \
            T d = (f & MAXIMIZE) ? -g[j] : g[j];                                               \
            if (f & WEIGHT_DECAY) d = fma(p[j], wd, d);                                        \
            T vj = fma(w * d, d, v[j] * alpha);                                                \
            v[j] = vj;                                                                         \
            T avg;                                                                             \
            if (f & CENTERED) {                                                                \
                T gj = fma(w, d - ga[j], ga[j]);                                               \
                ga[j] = gj;                                                                    \
                avg = sqrt(fma(-gj, gj, vj));                                                  \
            } else {                                                                           \
                avg = sqrt(vj);                                                                \
            }                                                                                  \
            avg = avg + eps;                                                                   \
            if (f & MOMENTUM) {                                                                \
                T bj = b[j] * mu + d / avg;                                                    \
                b[j] = bj;                                                                     \
                p[j] = fma(bj, -lr, p[j]);                                                     \
            } else {                                                                           \
                p[j] = p[j] + step * d / avg;                                                  \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    static void rmsprop_range_##T(const call *c, int i, int64_t lo, int64_t hi) {              \
        SPECIALISE(rmsprop_loop_##T, c, i, lo, hi, c->flags, 0, CENTERED, MOMENTUM)             \
    }

/* AdaDelta (_adaptive.py). bufs: param, grad, square_avg, acc_delta.
 * scalars: lr, weight_decay, rho, eps. */
#define ADADELTA_RULE(T)                                                                         \
    INLINE void adadelta_loop_##T(const call *c, int i, int64_t lo, int64_t hi, const int f) { \
        T *restrict p = BUF(c, 0, i);                                                          \
        const T *restrict g = BUF(c, 1, i);                                                    \
        T *restrict v = BUF(c, 2, i);                                                          \
        T *restrict u = BUF(c, 3, i);                                                          \
        const T lr = (T)c->scalars[0], wd = (T)c->scalars[1], rho = (T)c->scalars[2];          \
        const T w = (T)(1.0 - c->scalars[2]), eps = (T)c->scalars[3];                          \
        for (int64_t j = lo; j < hi; j++) {                                                    \
            T d = (f & MAXIMIZE) ? -g[j] : g[j];                                               \
            if (f & WEIGHT_DECAY) d = fma(p[j], wd, d);                                        \
            T vj = fma(w * d, d, v[j] * rho);                                                  \
            v[j] = vj;                                                                         \
            T delta = sqrt(u[j] + eps) / sqrt(vj + eps) * d;                                   \
            u[j] = fma(w * delta, delta, u[j] * rho);                                          \
            p[j] = fma(delta, -lr, p[j]);                                                      \
        }                                                                                      \
    }                                                                                          \
    static void adadelta_range_##T(const call *c, int i, int64_t lo, int64_t hi) {             \
        SPECIALISE(adadelta_loop_##T, c, i, lo, hi, c->flags, 0, WEIGHT_DECAY, MAXIMIZE)        \
    }

SGD_RULE(float)
SGD_RULE(double)
ADAM_RULE(float)
ADAM_RULE(double)
ADAGRAD_RULE(float)
ADAGRAD_RULE(double)
RMSPROP_RULE(float)
RMSPROP_RULE(double)
ADADELTA_RULE(float)
ADADELTA_RULE(double)

/* ---- the exported entry points: one per rule and element type ---------------------------- */

#define ENTRY(rule, T, suffix)                                                                   \
    void rule##_##suffix(int n, void *const *bufs, const int64_t *numel,                        \
                         const double *per_tensor, const double *scalars, int flags,            \
                         int nthreads) {                                                        \
        call c = {n, bufs, numel, per_tensor, scalars, flags, rule##_range_##T};               \
        run(&c, nthreads);                                                                     \
    }

ENTRY(sgd, float, f32)
ENTRY(sgd, double, f64)
ENTRY(adam, float, f32)
ENTRY(adam, double, f64)
ENTRY(adagrad, float, f32)
ENTRY(adagrad, double, f64)
ENTRY(rmsprop, float, f32)
ENTRY(rmsprop, double, f64)
ENTRY(adadelta, float, f32)
ENTRY(adadelta, double, f64)
