/*
 * tandem_uring: backing-disk I/O for the daemon through one io_uring per Node environment.
 *
 *   init(completions: Float64Array, onComplete: (count) => void, entries)   the ring, once
 *   open(path, wantDirect, callback(err, info))     open + size + O_DIRECT probe, on the threadpool
 *   read(tag, fd, buffer, offset)                   fill buffer from offset
 *   write(tag, fd, buffer, offset, dsync)           dsync: RWF_DSYNC (a FUA write on a device)
 *   fsync(tag, fd)                                  fdatasync
 *   fallocate(tag, fd, mode, offset, length)
 *   close(tag, fd)
 *   misalignment(buffer, align)                     address % align (O_DIRECT needs 0)
 *
 * Nothing here blocks the event loop. Requests are queued in the submission ring and handed to
 * the kernel in one io_uring_enter per loop iteration (a uv_prepare handle, which runs just
 * before libuv waits for events), so a burst of requests from one socket read costs one system
 * call. Completions wake the loop through an eventfd registered with the ring (a uv_poll
 * handle); each wake-up reaps every completion there is into `completions` as (tag, result)
 * pairs and calls onComplete(count) once. A result < 0 is -errno; JS names it.
 * The caller keeps every buffer referenced until its request completes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <liburing.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

typedef struct ring_state {
  struct io_uring ring;
  int ring_ready;
  int efd;
  uv_poll_t poll;
  uv_prepare_t prepare;
  int prepare_active;
  int poll_referenced;
  /* requests handed to the ring whose completion has not been reaped */
  uint32_t in_flight;
  double *completions;
  uint32_t completion_pairs;
  napi_ref completions_ref;
  napi_ref on_complete;
  napi_async_context async_context;
  napi_env env;
} ring_state_t;

#define CHECK(call)                                                           \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error(env, "TANDEM_E_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "TANDEM_E_NATIVE", msg);
  return NULL;
}

static ring_state_t *state_of(napi_env env) {
  ring_state_t *s = NULL;
  if (napi_get_instance_data(env, (void **)&s) != napi_ok) return NULL;
  return s;
}

/* The loop stays alive while requests are in flight, as it does for Node's own fs calls. */
static void update_ref(ring_state_t *s) {
  int want = s->in_flight > 0;
  if (want == s->poll_referenced) return;
  if (want) uv_ref((uv_handle_t *)&s->poll);
  else uv_unref((uv_handle_t *)&s->poll);
  s->poll_referenced = want;
}

static void deliver(ring_state_t *s, uint32_t count) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg, ignored;
  /* make_callback needs an object as receiver */
  if (napi_get_reference_value(env, s->on_complete, &fn) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
      napi_create_uint32(env, count, &arg) == napi_ok) {
    /* make_callback, not call_function: promise reactions run as the callback returns */
    napi_status st = napi_make_callback(env, s->async_context, recv, fn, 1, &arg, &ignored);
    if (st == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    } else if (st != napi_ok) {
      napi_fatal_error("tandem_uring", NAPI_AUTO_LENGTH, "cannot deliver completions to JavaScript", NAPI_AUTO_LENGTH);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void reap(ring_state_t *s) {
  for (;;) {
    struct io_uring_cqe *cqe;
    uint32_t head, n = 0;
    io_uring_for_each_cqe(&s->ring, head, cqe) {
      if (n == s->completion_pairs) break;
      s->completions[2 * n] = (double)cqe->user_data;
      s->completions[2 * n + 1] = (double)cqe->res;
      n++;
    }
    if (n == 0) return;
    io_uring_cq_advance(&s->ring, n);
    s->in_flight -= n;
    update_ref(s);
    deliver(s, n);
  }
}

static void on_eventfd(uv_poll_t *handle, int status, int events) {
  (void)events;
  ring_state_t *s = handle->data;
  uint64_t ignored;
  if (status == 0) (void)!read(s->efd, &ignored, sizeof ignored); /* non-blocking: clears the count */
  reap(s);
}

/* Hands every queued submission to the kernel; retried on the next iteration if it is busy. */
static void submit_queued(ring_state_t *s) {
  if (io_uring_sq_ready(&s->ring) > 0) {
    int r = io_uring_submit(&s->ring);
    if (r < 0 && r != -EAGAIN && r != -EBUSY && r != -EINTR) {
      fprintf(stderr, "tandem_uring: io_uring_submit failed: %s\n", strerror(-r));
      abort(); /* the ring is unusable: a request would never complete */
    }
  }
  if (io_uring_sq_ready(&s->ring) == 0 && s->prepare_active) {
    uv_prepare_stop(&s->prepare);
    s->prepare_active = 0;
  }
}

static void on_prepare(uv_prepare_t *handle) {
  submit_queued(handle->data);
}

static void cleanup(void *arg) {
  ring_state_t *s = arg;
  if (s->ring_ready) {
    uv_prepare_stop(&s->prepare);
    uv_poll_stop(&s->poll);
    io_uring_queue_exit(&s->ring);
    close(s->efd);
  }
  /* the handles stay allocated: libuv may still hold them until the loop closes */
}

static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ring_state_t *s = state_of(env);
  if (s && s->ring_ready) {
    napi_throw_error(env, "TANDEM_E_INTERNAL", "the ring is already set up");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL));
  if (type != napi_float64_array || length < 2) {
    napi_throw_type_error(env, "TANDEM_E_INTERNAL", "completions must be a Float64Array of (tag, result) pairs");
    return NULL;
  }
  uint32_t entries;
  CHECK(napi_get_value_uint32(env, argv[2], &entries));
  s = calloc(1, sizeof *s);
  if (!s) return throw_errno(env, "calloc", ENOMEM);
  s->env = env;
  s->completions = data;
  s->completion_pairs = (uint32_t)(length / 2);
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  int r = io_uring_queue_init_params(entries, &s->ring, &p);
  if (r < 0) {
    free(s);
    return throw_errno(env, "io_uring_queue_init", -r);
  }
  s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->efd < 0 || io_uring_register_eventfd(&s->ring, s->efd) < 0) {
    int err = errno;
    io_uring_queue_exit(&s->ring);
    if (s->efd >= 0) close(s->efd);
    free(s);
    return throw_errno(env, "eventfd for the ring", err);
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &s->poll, s->efd);
  uv_prepare_init(loop, &s->prepare);
  s->poll.data = s->prepare.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_eventfd);
  uv_unref((uv_handle_t *)&s->poll);
  uv_unref((uv_handle_t *)&s->prepare);
  s->ring_ready = 1;
  CHECK(napi_create_reference(env, argv[0], 1, &s->completions_ref));
  CHECK(napi_create_reference(env, argv[1], 1, &s->on_complete));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "tandem_uring", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &s->async_context));
  CHECK(napi_set_instance_data(env, s, NULL, NULL));
  CHECK(napi_add_env_cleanup_hook(env, cleanup, s));
  napi_value result, sq, cq;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_uint32(env, p.sq_entries, &sq));
  CHECK(napi_create_uint32(env, p.cq_entries, &cq));
  CHECK(napi_set_named_property(env, result, "sqEntries", sq));
  CHECK(napi_set_named_property(env, result, "cqEntries", cq));
  return result;
}

/* A free submission slot; a full submission queue is handed to the kernel first. */
static struct io_uring_sqe *next_sqe(napi_env env, ring_state_t *s) {
  if (!s || !s->ring_ready) {
    napi_throw_error(env, "TANDEM_E_INTERNAL", "the ring is not set up (call init first)");
    return NULL;
  }
  struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
  if (!sqe) {
    io_uring_submit(&s->ring);
    sqe = io_uring_get_sqe(&s->ring);
  }
  if (!sqe) napi_throw_error(env, "TANDEM_E_INTERNAL", "the submission queue is full");
  return sqe;
}

static void queued(ring_state_t *s, struct io_uring_sqe *sqe, uint32_t tag) {
  io_uring_sqe_set_data64(sqe, tag);
  s->in_flight++;
  update_ref(s);
  if (!s->prepare_active) {
    uv_prepare_start(&s->prepare, on_prepare);
    s->prepare_active = 1;
  }
}

static int get_buffer(napi_env env, napi_value value, void **data, size_t *length) {
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, "TANDEM_E_INTERNAL", "expected a Buffer");
    return 0;
  }
  return napi_get_buffer_info(env, value, data, length) == napi_ok;
}

static napi_value js_read(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t tag;
  int32_t fd;
  int64_t offset;
  void *data;
  size_t length;
  CHECK(napi_get_value_uint32(env, argv[0], &tag));
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  if (!get_buffer(env, argv[2], &data, &length)) return NULL;
  CHECK(napi_get_value_int64(env, argv[3], &offset));
  ring_state_t *s = state_of(env);
  struct io_uring_sqe *sqe = next_sqe(env, s);
  if (!sqe) return NULL;
  io_uring_prep_read(sqe, fd, data, (unsigned)length, (uint64_t)offset);
  queued(s, sqe, tag);
  return NULL;
}

static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t tag;
  int32_t fd;
  int64_t offset;
  bool dsync;
  void *data;
  size_t length;
  CHECK(napi_get_value_uint32(env, argv[0], &tag));
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  if (!get_buffer(env, argv[2], &data, &length)) return NULL;
  CHECK(napi_get_value_int64(env, argv[3], &offset));
  CHECK(napi_get_value_bool(env, argv[4], &dsync));
  ring_state_t *s = state_of(env);
  struct io_uring_sqe *sqe = next_sqe(env, s);
  if (!sqe) return NULL;
  io_uring_prep_write(sqe, fd, data, (unsigned)length, (uint64_t)offset);
  if (dsync) sqe->rw_flags = RWF_DSYNC;
  queued(s, sqe, tag);
  return NULL;
}

static napi_value js_fsync(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t tag;
  int32_t fd;
  CHECK(napi_get_value_uint32(env, argv[0], &tag));
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  ring_state_t *s = state_of(env);
  struct io_uring_sqe *sqe = next_sqe(env, s);
  if (!sqe) return NULL;
  io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
  queued(s, sqe, tag);
  return NULL;
}

static napi_value js_fallocate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t tag;
  int32_t fd, mode;
  int64_t offset, length;
  CHECK(napi_get_value_uint32(env, argv[0], &tag));
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  CHECK(napi_get_value_int32(env, argv[2], &mode));
  CHECK(napi_get_value_int64(env, argv[3], &offset));
  CHECK(napi_get_value_int64(env, argv[4], &length));
  ring_state_t *s = state_of(env);
  struct io_uring_sqe *sqe = next_sqe(env, s);
  if (!sqe) return NULL;
  io_uring_prep_fallocate(sqe, fd, mode, (uint64_t)offset, (uint64_t)length);
  queued(s, sqe, tag);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t tag;
  int32_t fd;
  CHECK(napi_get_value_uint32(env, argv[0], &tag));
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  ring_state_t *s = state_of(env);
  struct io_uring_sqe *sqe = next_sqe(env, s);
  if (!sqe) return NULL;
  io_uring_prep_close(sqe, fd);
  queued(s, sqe, tag);
  return NULL;
}

static napi_value js_misalignment(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t length;
  uint32_t align;
  if (!get_buffer(env, argv[0], &data, &length)) return NULL;
  CHECK(napi_get_value_uint32(env, argv[1], &align));
  napi_value result;
  CHECK(napi_create_uint32(env, align == 0 ? 0 : (uint32_t)((uintptr_t)data % align), &result));
  return result;
}

/* ---- open: on the threadpool (open() of a dead device can block, ioctls are system calls) ---- */

typedef struct open_work {
  napi_async_work work;
  napi_ref callback;
  char path[4096];
  int want_direct;
  /* results */
  int err;             /* errno of the failed step, or 0 */
  const char *step;    /* which step failed */
  int fd;
  int is_block;
  int direct;
  int direct_refused;  /* errno of the refused O_DIRECT open, or 0 */
  double size;
  uint32_t logical_block;
  uint32_t dio_offset_align;
  uint32_t dio_mem_align;
} open_work_t;

static void open_execute(napi_env env, void *data) {
  (void)env;
  open_work_t *w = data;
  w->fd = -1;
  int flags = O_RDWR | O_CLOEXEC;
  if (w->want_direct) {
    w->fd = open(w->path, flags | O_DIRECT);
    if (w->fd >= 0) w->direct = 1;
    else if (errno == EINVAL) w->direct_refused = EINVAL; /* the filesystem has no O_DIRECT */
    else { w->err = errno; w->step = "open"; return; }
  }
  if (w->fd < 0) w->fd = open(w->path, flags);
  if (w->fd < 0) { w->err = errno; w->step = "open"; return; }
  struct statx st;
  if (statx(w->fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_DIOALIGN, &st) != 0) {
    w->err = errno; w->step = "statx"; goto fail;
  }
  if (S_ISBLK(st.stx_mode)) {
    uint64_t bytes;
    int lbs;
    if (ioctl(w->fd, BLKGETSIZE64, &bytes) != 0) { w->err = errno; w->step = "ioctl BLKGETSIZE64"; goto fail; }
    if (ioctl(w->fd, BLKSSZGET, &lbs) != 0) { w->err = errno; w->step = "ioctl BLKSSZGET"; goto fail; }
    w->is_block = 1;
    w->size = (double)bytes;
    w->logical_block = (uint32_t)lbs;
  } else if (S_ISREG(st.stx_mode)) {
    w->size = (double)st.stx_size;
    w->logical_block = 512;
  } else {
    w->err = ENOTBLK; w->step = "a backing disk must be a file or a block device"; goto fail;
  }
  if (st.stx_mask & STATX_DIOALIGN) {
    w->dio_offset_align = st.stx_dio_offset_align;
    w->dio_mem_align = st.stx_dio_mem_align;
  }
  return;
fail:
  close(w->fd);
  w->fd = -1;
}

static void set_number(napi_env env, napi_value obj, const char *key, double v) {
  napi_value n;
  if (napi_create_double(env, v, &n) == napi_ok) napi_set_named_property(env, obj, key, n);
}

static void open_complete(napi_env env, napi_status status, void *data) {
  open_work_t *w = data;
  napi_value cb, recv, argv[2], ignored;
  napi_get_reference_value(env, w->callback, &cb);
  napi_get_undefined(env, &recv);
  napi_get_null(env, &argv[0]);
  napi_get_null(env, &argv[1]);
  if (status != napi_ok) {
    w->err = ECANCELED;
    w->step = "open";
  }
  if (w->err) {
    napi_value msg, code, step;
    char text[4400];
    snprintf(text, sizeof text, "%s: %s: %s", w->path, w->step, strerror(w->err));
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    napi_create_int32(env, w->err, &code);
    napi_create_string_utf8(env, w->step, NAPI_AUTO_LENGTH, &step);
    napi_create_error(env, NULL, msg, &argv[0]);
    napi_set_named_property(env, argv[0], "errno", code);
    napi_set_named_property(env, argv[0], "syscall", step);
  } else {
    napi_create_object(env, &argv[1]);
    set_number(env, argv[1], "fd", w->fd);
    set_number(env, argv[1], "sizeBytes", w->size);
    set_number(env, argv[1], "logicalBlockSize", w->logical_block);
    set_number(env, argv[1], "dioOffsetAlign", w->dio_offset_align);
    set_number(env, argv[1], "dioMemAlign", w->dio_mem_align);
    set_number(env, argv[1], "directRefused", w->direct_refused);
    napi_value b;
    napi_get_boolean(env, w->is_block, &b);
    napi_set_named_property(env, argv[1], "isBlockDevice", b);
    napi_get_boolean(env, w->direct, &b);
    napi_set_named_property(env, argv[1], "direct", b);
  }
  napi_call_function(env, recv, cb, 2, argv, &ignored);
  napi_delete_reference(env, w->callback);
  napi_delete_async_work(env, w->work);
  free(w);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  open_work_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "calloc", ENOMEM);
  size_t len;
  bool want_direct;
  if (napi_get_value_string_utf8(env, argv[0], w->path, sizeof w->path, &len) != napi_ok ||
      napi_get_value_bool(env, argv[1], &want_direct) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &w->callback) != napi_ok) {
    free(w);
    napi_throw_type_error(env, "TANDEM_E_INTERNAL", "open(path, wantDirect, callback)");
    return NULL;
  }
  w->want_direct = want_direct;
  napi_value name;
  CHECK(napi_create_string_utf8(env, "tandem_uring.open", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, open_execute, open_complete, w, &w->work));
  CHECK(napi_queue_async_work(env, w->work));
  return NULL;
}

static napi_value init_module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"read", NULL, js_read, NULL, NULL, NULL, napi_default, NULL},
    {"write", NULL, js_write, NULL, NULL, NULL, napi_default, NULL},
    {"fsync", NULL, js_fsync, NULL, NULL, NULL, napi_default, NULL},
    {"fallocate", NULL, js_fallocate, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"misalignment", NULL, js_misalignment, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init_module)
