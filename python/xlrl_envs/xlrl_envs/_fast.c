/* The hot path of xlrl_envs' step in C: one call from Python, one call into Go.
 *
 * Through ctypes a vector step costs several microseconds of argument
 * conversion, numpy bookkeeping and tuple building around a Go step of a few
 * hundred nanoseconds. A Stepper does the same work in C: it takes the
 * actions' memory as it is when they are a C-contiguous int64 (Discrete) or
 * float64 (Box) array of the right size, or a Python int for one copy,
 * releases the GIL, calls the library's XlrlVecStepDiscrete or
 * XlrlVecStepContinuous through the function pointer ctypes resolved, and
 * builds the results from the memory Go wrote. Anything else (actions of
 * another dtype or form, an error, the infos of Discrete observations) goes
 * to the Python callables it was given, so the semantics stay those of
 * vector.py, where the pure-ctypes path remains the fallback for a build
 * without this module.
 *
 * The module knows nothing of Go and never links against libxlrlenvs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef int64_t (*step_fn)(int64_t handle, void *actions, char **err);
typedef void (*free_fn)(void *p);

/* Set in a child after fork: the Go runtime's threads did not survive it. */
static volatile int forked = 0;
static void after_fork_child(void) { forked = 1; }

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    step_fn step;
    free_fn free_string;
    int64_t handle;
    npy_intp n;           /* copies */
    npy_intp n_values;    /* action values per vector step */
    int discrete_actions; /* int64 actions, else float64 */
    int discrete_obs;     /* observations are indices (one per copy) */
    const double *obs, *final_obs, *rewards;
    const npy_bool *terminated, *truncated;
    PyArrayObject *obs_view; /* the (n, *shape) float64 view step returns for Box observations */
    PyObject *final_view;    /* infos["final_obs"] for Box observations */
    PyObject *rew_view, *term_view, *trunc_view;
    PyObject *obs_fn;     /* Discrete observations: () -> the int64 observations */
    PyObject *on_ended;   /* Discrete observations: (infos) -> None, fills the final ones */
    PyObject *convert;    /* (actions) -> a contiguous array of the right dtype and size, or raises */
    PyObject *on_fork;    /* () -> raises the error of a use after fork */
    int ended;            /* the last step ended an episode somewhere */
} Stepper;

static PyObject *Stepper_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                                    PyObject *kwnames);

static PyObject *Stepper_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    Stepper *self = (Stepper *)type->tp_alloc(type, 0);
    if (self != NULL) self->vectorcall = Stepper_vectorcall;
    return (PyObject *)self;
}

static void Stepper_dealloc(Stepper *self) {
    Py_XDECREF(self->obs_view);
    Py_XDECREF(self->final_view);
    Py_XDECREF(self->rew_view);
    Py_XDECREF(self->term_view);
    Py_XDECREF(self->trunc_view);
    Py_XDECREF(self->obs_fn);
    Py_XDECREF(self->on_ended);
    Py_XDECREF(self->convert);
    Py_XDECREF(self->on_fork);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* view checks that o is an ndarray of type_num and size over the memory at ptr. */
static int view_of(PyObject *o, int type_num, npy_intp size, const void *ptr, const char *name) {
    if (!PyArray_Check(o) || PyArray_TYPE((PyArrayObject *)o) != type_num ||
        PyArray_SIZE((PyArrayObject *)o) != size || !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)o) ||
        PyArray_DATA((PyArrayObject *)o) != ptr) {
        PyErr_Format(PyExc_ValueError, "Stepper: %s is not the library's buffer", name);
        return -1;
    }
    return 0;
}

static int Stepper_init(Stepper *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"step", "free", "handle", "n_values", "discrete_actions",
                             "discrete_obs", "obs", "final_obs", "rewards", "terminated",
                             "truncated", "obs_fn", "on_ended", "convert", "on_fork", NULL};
    unsigned long long step, free_string;
    long long handle;
    Py_ssize_t n_values;
    int discrete_actions, discrete_obs;
    PyObject *obs, *final_obs, *rewards, *terminated, *truncated, *obs_fn, *on_ended, *convert,
        *on_fork;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "$KKLnppOOOOOOOOO", kwlist, &step, &free_string,
                                     &handle, &n_values, &discrete_actions, &discrete_obs, &obs,
                                     &final_obs, &rewards, &terminated, &truncated, &obs_fn,
                                     &on_ended, &convert, &on_fork))
        return -1;
    if (!step || !free_string || n_values <= 0 || !PyArray_Check(obs) || !PyArray_Check(final_obs) ||
        !PyArray_Check(rewards) || PyArray_NDIM((PyArrayObject *)obs) < 1) {
        PyErr_SetString(PyExc_ValueError, "Stepper: null function or buffers that are not arrays");
        return -1;
    }
    npy_intp n = PyArray_SIZE((PyArrayObject *)rewards);
    npy_intp n_obs = PyArray_SIZE((PyArrayObject *)obs);
    const void *obs_ptr = PyArray_DATA((PyArrayObject *)obs);
    const void *final_ptr = PyArray_DATA((PyArrayObject *)final_obs);
    if (n <= 0 || PyArray_DIM((PyArrayObject *)obs, 0) != n || n_obs % n != 0 ||
        view_of(obs, NPY_FLOAT64, n_obs, obs_ptr, "obs") < 0 ||
        view_of(final_obs, NPY_FLOAT64, n_obs, final_ptr, "final_obs") < 0 ||
        view_of(rewards, NPY_FLOAT64, n, PyArray_DATA((PyArrayObject *)rewards), "rewards") < 0 ||
        view_of(terminated, NPY_BOOL, n, PyArray_DATA((PyArrayObject *)terminated), "terminated") < 0 ||
        view_of(truncated, NPY_BOOL, n, PyArray_DATA((PyArrayObject *)truncated), "truncated") < 0)
        return -1;
    if (!PyCallable_Check(convert) || !PyCallable_Check(on_fork) ||
        (discrete_obs && (!PyCallable_Check(obs_fn) || !PyCallable_Check(on_ended)))) {
        PyErr_SetString(PyExc_ValueError, "Stepper: a callable is missing");
        return -1;
    }
    self->step = (step_fn)(uintptr_t)step;
    self->free_string = (free_fn)(uintptr_t)free_string;
    self->handle = handle;
    self->n = n;
    self->n_values = n_values;
    self->discrete_actions = discrete_actions;
    self->discrete_obs = discrete_obs;
    self->obs = obs_ptr;
    self->final_obs = final_ptr;
    self->rewards = PyArray_DATA((PyArrayObject *)rewards);
    self->terminated = PyArray_DATA((PyArrayObject *)terminated);
    self->truncated = PyArray_DATA((PyArrayObject *)truncated);
    Py_XSETREF(self->obs_view, (PyArrayObject *)Py_NewRef(obs));
    Py_XSETREF(self->final_view, Py_NewRef(final_obs));
    Py_XSETREF(self->rew_view, Py_NewRef(rewards));
    Py_XSETREF(self->term_view, Py_NewRef(terminated));
    Py_XSETREF(self->trunc_view, Py_NewRef(truncated));
    Py_XSETREF(self->obs_fn, Py_NewRef(obs_fn));
    Py_XSETREF(self->on_ended, Py_NewRef(on_ended));
    Py_XSETREF(self->convert, Py_NewRef(convert));
    Py_XSETREF(self->on_fork, Py_NewRef(on_fork));
    return 0;
}

/* fits says whether a holds exactly the action values Go reads, in Go's layout. */
static int fits(Stepper *self, PyObject *a) {
    if (!PyArray_Check(a)) return 0;
    PyArrayObject *arr = (PyArrayObject *)a;
    return PyArray_TYPE(arr) == (self->discrete_actions ? NPY_INT64 : NPY_FLOAT64) &&
           PyArray_IS_C_CONTIGUOUS(arr) && PyArray_ISNOTSWAPPED(arr) &&
           PyArray_SIZE(arr) == self->n_values;
}

/* fork_check refuses use in a forked child (through the Python check, which names the fix). */
static int fork_check(Stepper *self) {
    if (!forked) return 0;
    PyObject *r = PyObject_CallNoArgs(self->on_fork);
    if (r == NULL) return -1;
    Py_DECREF(r);
    forked = 0; /* the library was loaded after the fork: this process owns it */
    return 0;
}

/* go_step steps every copy with the action values at buf (kept alive by owner); it returns the
 * number of copies whose episode ended, or -1 with an exception set. */
static int64_t go_step(Stepper *self, void *buf) {
    if (self->step == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "xlrl_envs: a Stepper that was never initialised");
        return -1;
    }
    char *err = NULL;
    int64_t ended;
    Py_BEGIN_ALLOW_THREADS
    ended = self->step(self->handle, buf, &err);
    Py_END_ALLOW_THREADS
    if (ended < 0) {
        if (err != NULL) {
            PyErr_SetString(PyExc_ValueError, err);
            self->free_string(err);
        } else {
            PyErr_SetString(PyExc_ValueError, "step failed");
        }
        return -1;
    }
    self->ended = ended > 0;
    return ended;
}

/* call_go steps every copy with actions, converting them first when they do not fit. */
static int64_t call_go(Stepper *self, PyObject *actions) {
    if (fork_check(self) != 0) return -1;
    int64_t scalar;
    if (self->discrete_actions && self->n_values == 1 && PyLong_CheckExact(actions)) {
        int overflow = 0;
        scalar = PyLong_AsLongLongAndOverflow(actions, &overflow);
        if (scalar == -1 && PyErr_Occurred()) return -1;
        if (!overflow) return go_step(self, &scalar);
        /* too large for int64: the conversion below names the problem */
    }
    PyObject *a;
    if (fits(self, actions)) {
        a = Py_NewRef(actions); /* held while Go reads it without the GIL */
    } else {
        a = PyObject_CallOneArg(self->convert, actions);
        if (a == NULL) return -1;
        if (!fits(self, a)) {
            Py_DECREF(a);
            PyErr_SetString(PyExc_TypeError, "xlrl_envs: the converted actions do not fit the library");
            return -1;
        }
    }
    int64_t ended = go_step(self, PyArray_DATA((PyArrayObject *)a));
    Py_DECREF(a);
    return ended;
}

/* final_mask is terminated | truncated, a new bool array. */
static PyObject *final_mask(Stepper *self) {
    npy_intp n = self->n;
    PyObject *mask = PyArray_SimpleNew(1, &n, NPY_BOOL);
    if (mask == NULL) return NULL;
    npy_bool *m = PyArray_DATA((PyArrayObject *)mask);
    for (npy_intp i = 0; i < n; i++) m[i] = self->terminated[i] || self->truncated[i];
    return mask;
}

/* step_vector: (obs, rewards, terminated, truncated, infos), as XlrlVectorEnv.step returns them. */
static PyObject *step_vector(Stepper *self, PyObject *actions) {
    int64_t ended = call_go(self, actions);
    if (ended < 0) return NULL;
    PyObject *infos = PyDict_New();
    if (infos == NULL) return NULL;
    PyObject *obs = NULL;
    if (self->discrete_obs) {
        if (ended > 0) {
            PyObject *r = PyObject_CallOneArg(self->on_ended, infos);
            if (r == NULL) goto fail;
            Py_DECREF(r);
        }
        obs = PyObject_CallNoArgs(self->obs_fn);
        if (obs == NULL) goto fail;
    } else {
        if (ended > 0) {
            PyObject *mask = final_mask(self);
            if (mask == NULL) goto fail;
            int rc = PyDict_SetItemString(infos, "final_obs", self->final_view);
            if (rc == 0) rc = PyDict_SetItemString(infos, "_final_obs", mask);
            Py_DECREF(mask);
            if (rc != 0) goto fail;
        }
        obs = Py_NewRef((PyObject *)self->obs_view);
    }
    PyObject *out = PyTuple_New(5);
    if (out == NULL) goto fail;
    PyTuple_SET_ITEM(out, 0, obs);
    PyTuple_SET_ITEM(out, 1, Py_NewRef(self->rew_view));
    PyTuple_SET_ITEM(out, 2, Py_NewRef(self->term_view));
    PyTuple_SET_ITEM(out, 3, Py_NewRef(self->trunc_view));
    PyTuple_SET_ITEM(out, 4, infos);
    return out;
fail:
    Py_XDECREF(obs);
    Py_DECREF(infos);
    return NULL;
}

/* one_obs is copy 0's observation at src as step_one returns it: an int, or a fresh array. */
static PyObject *one_obs(Stepper *self, const double *src) {
    if (self->discrete_obs) return PyLong_FromLongLong((long long)src[0]);
    PyArrayObject *v = self->obs_view;
    PyObject *obs = PyArray_SimpleNew(PyArray_NDIM(v) - 1, PyArray_DIMS(v) + 1, NPY_FLOAT64);
    if (obs != NULL)
        memcpy(PyArray_DATA((PyArrayObject *)obs), src, (size_t)PyArray_NBYTES((PyArrayObject *)obs));
    return obs;
}

/* Stepper.obs_one(): copy 0's current observation, as step_one returns observations. */
static PyObject *Stepper_obs_one(Stepper *self, PyObject *unused) {
    if (self->obs_view == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "xlrl_envs: a Stepper that was never initialised");
        return NULL;
    }
    return one_obs(self, self->obs);
}

/* step_one(action): the step of one environment (copy 0) as gymnasium.Env.step returns it: a
 * fresh observation (the episode's last one when it ended), a float, two bools and {}. */
static PyObject *Stepper_step_one(Stepper *self, PyObject *action) {
    int64_t ended = call_go(self, action);
    if (ended < 0) return NULL;
    PyObject *obs = one_obs(self, ended ? self->final_obs : self->obs);
    if (obs == NULL) return NULL;
    PyObject *reward = PyFloat_FromDouble(self->rewards[0]);
    PyObject *infos = PyDict_New();
    PyObject *out = PyTuple_New(5);
    if (reward == NULL || infos == NULL || out == NULL) {
        Py_DECREF(obs);
        Py_XDECREF(reward);
        Py_XDECREF(infos);
        Py_XDECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 0, obs);
    PyTuple_SET_ITEM(out, 1, reward);
    PyTuple_SET_ITEM(out, 2, PyBool_FromLong(self->terminated[0]));
    PyTuple_SET_ITEM(out, 3, PyBool_FromLong(self->truncated[0]));
    PyTuple_SET_ITEM(out, 4, infos);
    return out;
}

static PyObject *Stepper_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                                    PyObject *kwnames) {
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_SetString(PyExc_TypeError, "step takes one argument: the actions");
        return NULL;
    }
    return step_vector((Stepper *)callable, args[0]);
}

static PyObject *Stepper_get_ended(Stepper *self, void *closure) {
    return PyBool_FromLong(self->ended);
}

static int Stepper_set_ended(Stepper *self, PyObject *value, void *closure) {
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "ended cannot be deleted");
        return -1;
    }
    int v = PyObject_IsTrue(value);
    if (v < 0) return -1;
    self->ended = v;
    return 0;
}

static PyGetSetDef Stepper_getset[] = {
    {"ended", (getter)Stepper_get_ended, (setter)Stepper_set_ended,
     "Whether the last step ended an episode (in any copy).", NULL},
    {NULL},
};

static PyMethodDef Stepper_methods[] = {
    {"step_one", (PyCFunction)Stepper_step_one, METH_O,
     "step_one(action): one environment's step (copy 0): a fresh observation, reward, "
     "terminated, truncated, {}."},
    {"obs_one", (PyCFunction)Stepper_obs_one, METH_NOARGS,
     "obs_one(): copy 0's current observation (an int, or a fresh array)."},
    {NULL},
};

static PyTypeObject StepperType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "xlrl_envs._fast.Stepper",
    .tp_doc = "Steps an xlrl_envs vector: one call into Go per call, results from the memory Go "
              "wrote. Calling it is XlrlVectorEnv.step.",
    .tp_basicsize = sizeof(Stepper),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Stepper, vectorcall),
    .tp_new = Stepper_new,
    .tp_init = (initproc)Stepper_init,
    .tp_dealloc = (destructor)Stepper_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_methods = Stepper_methods,
    .tp_getset = Stepper_getset,
};

static struct PyModuleDef fastmodule = {
    PyModuleDef_HEAD_INIT,
    .m_name = "xlrl_envs._fast",
    .m_doc = "The C hot path of xlrl_envs' step (optional: vector.py falls back to ctypes).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fast(void) {
    import_array();
    if (PyType_Ready(&StepperType) < 0) return NULL;
    PyObject *m = PyModule_Create(&fastmodule);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Stepper", (PyObject *)&StepperType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    pthread_atfork(NULL, NULL, after_fork_child);
    return m;
}
