/* Compiled check of ceilocompat._key_shapes: do all the dicts of a message have one key sequence?
 *
 * same_keys(wires, keys) is what ceilocompat._key_shapes._same_keys computes in Python (the reference
 * and the fallback): True when every item of the list or tuple *wires* is a dict whose keys are exactly the list
 * *keys*, in that order. Keys are compared by identity first (json.loads gives the dicts of one document
 * the same key objects), then as exact str; a key of any other type answers False (the caller then counts
 * shape by shape, which gives the same tallies).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
same_keys(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "same_keys(wires, keys) takes a sequence of dicts and a list of keys");
        return NULL;
    }
    PyObject *wires = args[0], *keys = args[1];
    if (!PyList_Check(wires) && !PyTuple_Check(wires)) {
        Py_RETURN_FALSE;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(wires), width = PyList_GET_SIZE(keys);
    /* Only exact dicts and exact str keys are compared, so no Python code runs and nothing can change
     * under the walk; anything else answers False, which only sends the caller to its shape-by-shape count. */
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *wire = PySequence_Fast_GET_ITEM(wires, i);
        if (!PyDict_CheckExact(wire) || PyDict_GET_SIZE(wire) != width) {
            Py_RETURN_FALSE;
        }
        Py_ssize_t position = 0, index = 0;
        PyObject *key, *value;
        while (PyDict_Next(wire, &position, &key, &value)) {
            PyObject *expected = PyList_GET_ITEM(keys, index++);
            if (key != expected
                    && !(PyUnicode_CheckExact(key) && PyUnicode_CheckExact(expected)
                         && PyUnicode_Compare(key, expected) == 0)) {
                Py_RETURN_FALSE;
            }
        }
    }
    Py_RETURN_TRUE;
}

static PyMethodDef methods[] = {
    {"same_keys", (PyCFunction)(void (*)(void))same_keys, METH_FASTCALL,
     "same_keys(wires, keys): True when every dict of the list wires has exactly the list keys, in order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "ceilocompat._key_shapes_accel",
    "Compiled check of ceilocompat._key_shapes (the pure-Python functions are the reference).", -1, methods,
};

PyMODINIT_FUNC
PyInit__key_shapes_accel(void)
{
    return PyModule_Create(&module);
}
