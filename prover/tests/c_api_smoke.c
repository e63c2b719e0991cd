/* Smoke test of the extern "C" prover API from plain C:
 *   prover-c-api-smoke <circuit.zkey> <witness.wtns> <proof.json> <public.json>
 * proves twice with one loaded key, checks the short-buffer and bad-input codes, and
 * writes the last proof for `snarkjs groth16 verify`. Exit 0 when every check holds. */
#include <stdio.h>
#include <string.h>

#include "groth16/prover_c_api.h"

static int write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  if (!f) return 0;
  int ok = fputs(text, f) >= 0;
  return (fclose(f) == 0) && ok;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: prover-c-api-smoke <zkey> <wtns> <proof.json> <public.json>\n");
    return 2;
  }
  char err[512];
  pw_prover* p = NULL;
  int rc = pw_prover_create(&p, argv[1], 0, 1, err, sizeof err);
  if (rc != PW_PROVER_OK) {
    fprintf(stderr, "create: %d %s\n", rc, err);
    return 1;
  }
  static char proof[8192], pub[1 << 16];
  size_t ps = 0, us = 0;
  for (int i = 0; i < 2; ++i) {
    ps = sizeof proof;
    us = sizeof pub;
    rc = pw_prover_prove(p, argv[2], proof, &ps, pub, &us, err, sizeof err);
    if (rc != PW_PROVER_OK) {
      fprintf(stderr, "prove: %d %s\n", rc, err);
      return 1;
    }
  }
  size_t small = 8, us2 = sizeof pub;
  static char scratch[8192];
  rc = pw_prover_prove(p, argv[2], scratch, &small, pub, &us2, err, sizeof err);
  if (rc != PW_PROVER_ERROR_SHORT_BUFFER || small <= 8) {
    fprintf(stderr, "short buffer: %d (need %zu)\n", rc, small);
    return 1;
  }
  size_t a = sizeof scratch, b = sizeof pub;
  rc = pw_prover_prove(p, "/nonexistent/witness.wtns", scratch, &a, pub, &b, err, sizeof err);
  if (rc != PW_PROVER_ERROR_WITNESS) {
    fprintf(stderr, "missing witness: %d %s\n", rc, err);
    return 1;
  }
  pw_prover_destroy(p);
  pw_prover* q = NULL;
  rc = pw_prover_create(&q, "/nonexistent/circuit.zkey", 0, 1, err, sizeof err);
  if (rc != PW_PROVER_ERROR_ZKEY || q != NULL) {
    fprintf(stderr, "missing zkey: %d %s\n", rc, err);
    return 1;
  }
  /* The public buffer was last filled by the successful prove above (same witness). */
  if (!write_file(argv[3], proof) || !write_file(argv[4], pub)) return 1;
  printf("ok\n");
  return 0;
}
