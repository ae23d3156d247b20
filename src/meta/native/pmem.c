/*
 * tandem_pmem: the smallest possible bridge from Node to libpmem.
 *
 *   map(path, size, create) -> { buffer: ArrayBuffer, isPmem: boolean, length: number }
 *   persist(buffer, offset, length)   flush CPU caches (real PMEM) or msync (anything else)
 * The mapping is released by the ArrayBuffer finalizer, so no view can outlive it.
 *
 * The ArrayBuffer is external memory backed by the mapping; every store through a view on it
 * goes straight to the file/devdax. Durability comes only from persist().
 */
#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <libpmem.h>
#include <node_api.h>

typedef struct mapping {
  void *addr;
  size_t len;
  int is_pmem;
  int unmapped;
} mapping_t;

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
  napi_throw_error(env, "TANDEM_E_IO", msg);
  return NULL;
}

static void finalize_mapping(napi_env env, void *data, void *hint) {
  (void)env; (void)data;
  mapping_t *m = hint;
  if (!m->unmapped) pmem_unmap(m->addr, m->len);
  free(m);
}

static napi_value js_map(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t path_len;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len));
  int64_t size;
  CHECK(napi_get_value_int64(env, argv[1], &size));
  bool create;
  CHECK(napi_get_value_bool(env, argv[2], &create));

  mapping_t *m = calloc(1, sizeof *m);
  if (!m) return throw_errno(env, "calloc", ENOMEM);
  /* size 0 with no flags maps an existing file or devdax whole. */
  int flags = create ? PMEM_FILE_CREATE : 0;
  m->addr = pmem_map_file(path, create ? (size_t)size : 0, flags, 0600, &m->len, &m->is_pmem);
  if (!m->addr) {
    int err = errno;
    free(m);
    return throw_errno(env, path, err);
  }
  napi_value buffer, result, is_pmem, length;
  if (napi_create_external_arraybuffer(env, m->addr, m->len, finalize_mapping, m, &buffer) != napi_ok) {
    pmem_unmap(m->addr, m->len);
    free(m);
    napi_throw_error(env, "TANDEM_E_NATIVE", "cannot wrap the mapping in an ArrayBuffer");
    return NULL;
  }
  CHECK(napi_create_object(env, &result));
  CHECK(napi_get_boolean(env, m->is_pmem, &is_pmem));
  CHECK(napi_create_double(env, (double)m->len, &length));
  CHECK(napi_set_named_property(env, result, "buffer", buffer));
  CHECK(napi_set_named_property(env, result, "isPmem", is_pmem));
  CHECK(napi_set_named_property(env, result, "length", length));
  return result;
}

static napi_value js_persist(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t byte_len;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &byte_len));
  int64_t off, len;
  CHECK(napi_get_value_int64(env, argv[1], &off));
  CHECK(napi_get_value_int64(env, argv[2], &len));
  bool is_pmem;
  CHECK(napi_get_value_bool(env, argv[3], &is_pmem));
  if (off < 0 || len < 0 || (uint64_t)off + (uint64_t)len > byte_len) {
    napi_throw_range_error(env, "TANDEM_E_INTERNAL", "persist range outside the mapping");
    return NULL;
  }
  char *p = (char *)data + off;
  if (is_pmem) {
    pmem_persist(p, (size_t)len);
  } else if (pmem_msync(p, (size_t)len) != 0) {
    return throw_errno(env, "pmem_msync", errno);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"map", NULL, js_map, NULL, NULL, NULL, napi_default, NULL},
    {"persist", NULL, js_persist, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
