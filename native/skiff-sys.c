// The Linux calls Node lacks, as a Node-API addon: mount, xattrs, device nodes, flock,
// posix_spawn and what a spawned child's pipes need. Each function is a thin wrapper that
// returns the call's result, or -errno on failure: errors are made in JavaScript
// (src/sys/native.ts), where the callers' messages and Node-style codes live.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <node_api.h>

#define MAX_ARGS 8

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int failed;
} Args;

static int args_of(napi_env env, napi_callback_info info, Args *a, size_t want) {
  a->env = env;
  a->argc = MAX_ARGS;
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok || a->argc < want) {
    napi_throw_type_error(env, NULL, "skiff-sys: wrong number of arguments");
    return 0;
  }
  return 1;
}

// A string argument, or NULL for null/undefined; the caller frees it.
static char *str_arg(Args *a, size_t i) {
  napi_valuetype t;
  if (napi_typeof(a->env, a->argv[i], &t) != napi_ok) goto bad;
  if (t == napi_null || t == napi_undefined) return NULL;
  size_t len;
  if (napi_get_value_string_utf8(a->env, a->argv[i], NULL, 0, &len) != napi_ok) goto bad;
  char *s = malloc(len + 1);
  if (!s) goto bad;
  if (napi_get_value_string_utf8(a->env, a->argv[i], s, len + 1, &len) != napi_ok) {
    free(s);
    goto bad;
  }
  return s;
bad:
  if (!a->failed) napi_throw_type_error(a->env, NULL, "skiff-sys: expected a string");
  a->failed = 1;
  return NULL;
}

static int64_t int_arg(Args *a, size_t i) {
  int64_t v = 0;
  if (napi_get_value_int64(a->env, a->argv[i], &v) != napi_ok) {
    if (!a->failed) napi_throw_type_error(a->env, NULL, "skiff-sys: expected a number");
    a->failed = 1;
  }
  return v;
}

static void *buf_arg(Args *a, size_t i, size_t *len) {
  void *data = NULL;
  if (napi_get_buffer_info(a->env, a->argv[i], &data, len) != napi_ok) {
    if (!a->failed) napi_throw_type_error(a->env, NULL, "skiff-sys: expected a Buffer");
    a->failed = 1;
    *len = 0;
  }
  return data;
}

static napi_value num(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

// -errno when the call failed (returned -1), else its result.
static napi_value result(napi_env env, int64_t ret) {
  return num(env, ret < 0 ? -errno : ret);
}

// mount(source, target, fstype, flags, data)
static napi_value js_mount(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 5)) return NULL;
  char *source = str_arg(&a, 0), *target = str_arg(&a, 1), *fstype = str_arg(&a, 2), *data = str_arg(&a, 4);
  int64_t flags = int_arg(&a, 3);
  napi_value r = NULL;
  if (!a.failed && target) r = result(env, mount(source, target, fstype, (unsigned long)flags, data));
  else if (!a.failed) napi_throw_type_error(env, NULL, "skiff-sys: mount needs a target");
  free(source), free(target), free(fstype), free(data);
  return r;
}

// umount2(target, flags)
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 2)) return NULL;
  char *target = str_arg(&a, 0);
  int64_t flags = int_arg(&a, 1);
  napi_value r = a.failed || !target ? NULL : result(env, umount2(target, (int)flags));
  free(target);
  return r;
}

// mknod(path, mode, major, minor)
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 4)) return NULL;
  char *path = str_arg(&a, 0);
  int64_t mode = int_arg(&a, 1), major_ = int_arg(&a, 2), minor_ = int_arg(&a, 3);
  napi_value r = a.failed || !path ? NULL : result(env, mknod(path, (mode_t)mode, makedev((unsigned)major_, (unsigned)minor_)));
  free(path);
  return r;
}

// lsetxattr(path, name, value, flags)
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 4)) return NULL;
  char *path = str_arg(&a, 0), *name = str_arg(&a, 1);
  size_t len;
  void *value = buf_arg(&a, 2, &len);
  int64_t flags = int_arg(&a, 3);
  napi_value r = a.failed || !path || !name ? NULL : result(env, lsetxattr(path, name, value, len, (int)flags));
  free(path), free(name);
  return r;
}

// lgetxattr(path, name, buffer): the value's length, written into buffer
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 3)) return NULL;
  char *path = str_arg(&a, 0), *name = str_arg(&a, 1);
  size_t len;
  void *buf = buf_arg(&a, 2, &len);
  napi_value r = a.failed || !path || !name ? NULL : result(env, lgetxattr(path, name, buf, len));
  free(path), free(name);
  return r;
}

// llistxattr(path, buffer): the list's length, NUL-separated names written into buffer
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 2)) return NULL;
  char *path = str_arg(&a, 0);
  size_t len;
  void *buf = buf_arg(&a, 1, &len);
  napi_value r = a.failed || !path ? NULL : result(env, llistxattr(path, buf, len));
  free(path);
  return r;
}

// flock(fd, operation)
static napi_value js_flock(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 2)) return NULL;
  int64_t fd = int_arg(&a, 0), op = int_arg(&a, 1);
  return a.failed ? NULL : result(env, flock((int)fd, (int)op));
}

// fcntl(fd, cmd, arg), for the integer commands
static napi_value js_fcntl(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 3)) return NULL;
  int64_t fd = int_arg(&a, 0), cmd = int_arg(&a, 1), arg = int_arg(&a, 2);
  return a.failed ? NULL : result(env, fcntl((int)fd, (int)cmd, (long)arg));
}

// read(fd, buffer): bytes read into buffer
static napi_value js_read(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 2)) return NULL;
  int64_t fd = int_arg(&a, 0);
  size_t len;
  void *buf = buf_arg(&a, 1, &len);
  return a.failed ? NULL : result(env, read((int)fd, buf, len));
}

// pipe2(flags, fds): the two fds written into an Int32Array-sized buffer (8 bytes)
static napi_value js_pipe2(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 2)) return NULL;
  int64_t flags = int_arg(&a, 0);
  size_t len;
  void *buf = buf_arg(&a, 1, &len);
  if (a.failed) return NULL;
  if (len < 2 * sizeof(int)) {
    napi_throw_range_error(env, NULL, "skiff-sys: pipe2 needs an 8-byte buffer");
    return NULL;
  }
  return result(env, pipe2((int *)buf, (int)flags));
}

// waitpid(pid, options, status): the pid, 0 (WNOHANG, still running); the status into 4 bytes
static napi_value js_waitpid(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 3)) return NULL;
  int64_t pid = int_arg(&a, 0), options = int_arg(&a, 1);
  size_t len;
  void *buf = buf_arg(&a, 2, &len);
  if (a.failed) return NULL;
  if (len < sizeof(int)) {
    napi_throw_range_error(env, NULL, "skiff-sys: waitpid needs a 4-byte buffer");
    return NULL;
  }
  return result(env, waitpid((pid_t)pid, (int *)buf, (int)options));
}

// A JavaScript array of strings as a NULL-terminated vector; NULL (with an exception) on error.
static char **str_vector(Args *a, size_t i) {
  uint32_t n;
  if (napi_get_array_length(a->env, a->argv[i], &n) != napi_ok) {
    napi_throw_type_error(a->env, NULL, "skiff-sys: expected an array of strings");
    a->failed = 1;
    return NULL;
  }
  char **v = calloc((size_t)n + 1, sizeof(char *));
  if (!v) {
    a->failed = 1;
    napi_throw_error(a->env, NULL, "skiff-sys: out of memory");
    return NULL;
  }
  for (uint32_t k = 0; k < n && !a->failed; k++) {
    Args item = {.env = a->env, .argc = 1, .failed = 0};
    if (napi_get_element(a->env, a->argv[i], k, &item.argv[0]) != napi_ok) item.failed = 1;
    v[k] = item.failed ? NULL : str_arg(&item, 0);
    if (item.failed || !v[k]) {
      if (!item.failed) napi_throw_type_error(a->env, NULL, "skiff-sys: expected an array of strings");
      a->failed = 1;
    }
  }
  return v;
}

static void free_vector(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

enum { ACTION_DUP2 = 0, ACTION_OPEN = 1 };

// spawn(path, argv, envp, actions): posix_spawn with every signal at its default and none
// blocked. actions: [ACTION_DUP2, fd, newfd] or [ACTION_OPEN, fd, flags, path], in order.
// Returns the pid, or -errno (the exec's own failure included: glibc reports it).
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  Args a;
  if (!args_of(env, info, &a, 4)) return NULL;
  char *path = str_arg(&a, 0);
  char **argv = a.failed ? NULL : str_vector(&a, 1);
  char **envp = a.failed ? NULL : str_vector(&a, 2);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  napi_value r = NULL;
  int err = 0;
  uint32_t n = 0;
  if (!a.failed && napi_get_array_length(env, a.argv[3], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "skiff-sys: expected an array of actions");
    a.failed = 1;
  }
  for (uint32_t k = 0; k < n && !a.failed && !err; k++) {
    Args act = {.env = env, .failed = 0};
    napi_value item;
    uint32_t len = 0;
    if (napi_get_element(env, a.argv[3], k, &item) != napi_ok || napi_get_array_length(env, item, &len) != napi_ok || len < 3) {
      napi_throw_type_error(env, NULL, "skiff-sys: bad spawn action");
      a.failed = 1;
      break;
    }
    act.argc = len < MAX_ARGS ? len : MAX_ARGS;
    for (uint32_t j = 0; j < act.argc; j++) napi_get_element(env, item, j, &act.argv[j]);
    int64_t kind = int_arg(&act, 0), fd = int_arg(&act, 1), third = int_arg(&act, 2);
    if (act.failed) {
      a.failed = 1;
    } else if (kind == ACTION_DUP2) {
      err = posix_spawn_file_actions_adddup2(&fa, (int)fd, (int)third);
    } else if (kind == ACTION_OPEN && len >= 4) {
      char *file = str_arg(&act, 3);
      if (act.failed || !file) a.failed = 1;
      else err = posix_spawn_file_actions_addopen(&fa, (int)fd, file, (int)third, 0);
      free(file);
    } else {
      napi_throw_type_error(env, NULL, "skiff-sys: bad spawn action");
      a.failed = 1;
    }
  }
  if (!a.failed && !err && path) {
    // sigfillset leaves out glibc's own two signals (32, 33); set every bit of the first 64.
    sigset_t all, none;
    sigfillset(&all);
    memset(&all, 0xff, 8);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    err = posix_spawn(&pid, path, &fa, &attr, argv, envp);
    if (!err) r = num(env, pid);
  }
  if (!a.failed && err) r = num(env, -err);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(path);
  free_vector(argv);
  free_vector(envp);
  return r;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"mount", js_mount},       {"umount2", js_umount2}, {"mknod", js_mknod}, {"lsetxattr", js_lsetxattr},
      {"lgetxattr", js_lgetxattr}, {"llistxattr", js_llistxattr}, {"flock", js_flock}, {"fcntl", js_fcntl},
      {"read", js_read},         {"pipe2", js_pipe2},     {"waitpid", js_waitpid}, {"spawn", js_spawn},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) return NULL;
  }
  return exports;
}
