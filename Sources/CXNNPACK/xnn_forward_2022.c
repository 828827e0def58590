// The 2022 XNNPACK API (Debian bookworm): every loupe_xnn_* function passes its arguments
// through unchanged; the wrapper only holds the operator.
#include "CXNNPACK.h"

#if LOUPE_XNN_API == 2022

#include <stdlib.h>

struct loupe_xnn_op {
    xnn_operator_t op;
};

const char* loupe_xnn_api_name(void) { return "2022"; }

enum xnn_status loupe_xnn_run_operator(loupe_xnn_operator_t op, pthreadpool_t threadpool) {
    return xnn_run_operator(op->op, threadpool);
}

enum xnn_status loupe_xnn_delete_operator(loupe_xnn_operator_t op) {
    if (op == NULL) return xnn_status_success;
    enum xnn_status s = xnn_delete_operator(op->op);
    free(op);
    return s;
}

static enum xnn_status wrap(enum xnn_status s, xnn_operator_t op, loupe_xnn_operator_t* out) {
    if (s != xnn_status_success) { *out = NULL; return s; }
    loupe_xnn_operator_t w = malloc(sizeof(*w));
    if (w == NULL) { xnn_delete_operator(op); *out = NULL; return xnn_status_out_of_memory; }
    w->op = op;
    *out = w;
    return s;
}

// Every operator of the table in CXNNPACK.h: create wraps the 2022 operator, setup passes
// the parameters on to it.
#define LOUPE_XNN_FORWARD(name, create, setup, In, Out)                                                 \
    LOUPE_XNN_CREATE_SIGNATURE(name, create, In, Out) {                                                 \
        xnn_operator_t op = NULL;                                                                       \
        return wrap(xnn_create_##name(create(LOUPE_XNN_ARGUMENT, In, Out) flags, &op), op, op_out);     \
    }                                                                                                   \
    LOUPE_XNN_SETUP_SIGNATURE(name, setup, In, Out) {                                                   \
        return xnn_setup_##name(op->op, setup(LOUPE_XNN_ARGUMENT, In, Out) threadpool);                 \
    }
LOUPE_XNN_OPERATORS(LOUPE_XNN_FORWARD)
#undef LOUPE_XNN_FORWARD

#endif  // LOUPE_XNN_API == 2022
