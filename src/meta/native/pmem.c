/*
 * tandem_pmem: the smallest possible bridge from Node to libpmem.
 *
 *   mapRange(path, offset, length) -> { buffer: ArrayBuffer, isPmem: boolean, length: number }
 *       the range [offset, offset + length) of an existing file or devdax
 *   persist(buffer, offset, length, isPmem)   flush CPU caches (real PMEM) or msync (anything else)
 * Ranges, not whole files: Node 20 cannot wrap more than 4 GiB in one ArrayBuffer, so a shared
 * namespace (an 8 GiB NVDIMM) is mapped per allocator area. A range is mapped from a 2 MiB
 * aligned start, which devdax requires.
 * The mapping is released by the ArrayBuffer finalizer, so no view can outlive it.
 *
 * The ArrayBuffer is external memory backed by the mapping; every store through a view on it
 * goes straight to the file/devdax. Durability comes only from persist().
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <libpmem.h>
#include <node_api.h>

typedef struct mapping {
  void *addr;
  size_t len;
  int is_pmem;
} mapping_t;

#define CHECK(call)                                                           \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error(env, "TANDEM_E_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[4608];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "TANDEM_E_IO", msg);
  return NULL;
}

static void finalize_mapping(napi_env env, void *data, void *hint) {
  (void)env; (void)data;
  mapping_t *m = hint;
  munmap(m->addr, m->len);
  free(m);
}

static napi_value wrap_mapping(napi_env env, mapping_t *m, void *data, size_t length) {
  napi_value buffer, result, is_pmem, len;
  if (napi_create_external_arraybuffer(env, data, length, finalize_mapping, m, &buffer) != napi_ok) {
    munmap(m->addr, m->len);
    free(m);
    napi_throw_error(env, "TANDEM_E_NATIVE", "cannot wrap the mapping in an ArrayBuffer");
    return NULL;
  }
  CHECK(napi_create_object(env, &result));
  CHECK(napi_get_boolean(env, m->is_pmem, &is_pmem));
  CHECK(napi_create_double(env, (double)length, &len));
  CHECK(napi_set_named_property(env, result, "buffer", buffer));
  CHECK(napi_set_named_property(env, result, "isPmem", is_pmem));
  CHECK(napi_set_named_property(env, result, "length", len));
  return result;
}

#define MAP_ALIGN ((int64_t)2 << 20)

/*
 * devdax maps only 2 MiB aligned (start and end) address ranges: reserve address space, map the
 * device at an aligned address inside it, give back the unused head and tail. Files get the same
 * treatment so the tests run this path.
 */
static void *map_aligned(int fd, int64_t base, size_t len, int flags) {
  size_t reserve_len = len + (size_t)MAP_ALIGN;
  uint8_t *reserve = mmap(NULL, reserve_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserve == MAP_FAILED) return MAP_FAILED;
  uint8_t *aligned = (uint8_t *)(((uintptr_t)reserve + (uintptr_t)MAP_ALIGN - 1) & ~((uintptr_t)MAP_ALIGN - 1));
  void *addr = mmap(aligned, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, base);
  if (addr == MAP_FAILED) {
    int err = errno;
    munmap(reserve, reserve_len);
    errno = err;
    return MAP_FAILED;
  }
  if (aligned > reserve) munmap(reserve, (size_t)(aligned - reserve));
  uint8_t *end = aligned + len;
  if (reserve + reserve_len > end) munmap(end, (size_t)(reserve + reserve_len - end));
  return addr;
}

static napi_value js_map_range(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t path_len;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len));
  int64_t offset, length;
  CHECK(napi_get_value_int64(env, argv[1], &offset));
  CHECK(napi_get_value_int64(env, argv[2], &length));
  if (offset < 0 || length <= 0) {
    napi_throw_range_error(env, "TANDEM_E_INTERNAL", "mapRange needs offset >= 0 and length > 0");
    return NULL;
  }
  int fd = open(path, O_RDWR);
  if (fd < 0) return throw_errno(env, path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, path, err);
  }
  int64_t base = offset & ~(MAP_ALIGN - 1);
  size_t delta = (size_t)(offset - base);
  size_t map_len = ((delta + (size_t)length) + MAP_ALIGN - 1) & ~(size_t)(MAP_ALIGN - 1);
  /* MAP_SYNC makes CPU cache flushes enough on fsdax files; tmpfs and others refuse it. */
  int synced = 1;
  void *addr = map_aligned(fd, base, map_len, MAP_SHARED_VALIDATE | MAP_SYNC);
  if (addr == MAP_FAILED) {
    synced = 0;
    addr = map_aligned(fd, base, map_len, MAP_SHARED);
  }
  int err = errno;
  close(fd);
  if (addr == MAP_FAILED) return throw_errno(env, path, err);
  mapping_t *m = calloc(1, sizeof *m);
  if (!m) {
    munmap(addr, map_len);
    return throw_errno(env, "calloc", ENOMEM);
  }
  m->addr = addr;
  m->len = map_len;
  int may_be_pmem = synced || S_ISCHR(st.st_mode) || getenv("PMEM_IS_PMEM_FORCE") != NULL;
  m->is_pmem = may_be_pmem && pmem_is_pmem((char *)addr + delta, (size_t)length);
  return wrap_mapping(env, m, (char *)addr + delta, (size_t)length);
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
    {"mapRange", NULL, js_map_range, NULL, NULL, NULL, napi_default, NULL},
    {"persist", NULL, js_persist, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
