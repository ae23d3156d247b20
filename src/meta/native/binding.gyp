{
  "targets": [
    {
      "target_name": "tandem_pmem",
      "sources": ["pmem.c"],
      "libraries": ["-lpmem"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
