{
  "targets": [
    {
      "target_name": "tandem_uring",
      "sources": ["uring.c"],
      "libraries": ["-luring"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
