/* C entry points for the prover daemon and other embedders (rapidsnark prover.h style).
 * Every function catches everything and returns a code; on failure a one-line message is
 * copied (NUL-terminated, truncated) into err. Codes match the CLI exit codes. */
#ifndef PROOFWATCH_PROVER_C_API_H
#define PROOFWATCH_PROVER_C_API_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  PW_PROVER_OK = 0,
  PW_PROVER_ERROR = 1,
  PW_PROVER_ERROR_ARGS = 2,
  PW_PROVER_ERROR_ZKEY = 3,
  PW_PROVER_ERROR_WITNESS = 4,
  PW_PROVER_ERROR_MISMATCH = 5,
  PW_PROVER_ERROR_OUTPUT = 6,
  PW_PROVER_ERROR_SHORT_BUFFER = 9 /* *_size now holds the size needed, NUL included */
};

typedef struct pw_prover pw_prover;

/* Loads a Groth16 zkey once. threads = 0 uses every core. */
int pw_prover_create(pw_prover** out, const char* zkey_path, unsigned threads, int check_points, char* err,
                     size_t err_size);

/* Proves one witness file; writes proof.json and public.json text into the buffers.
 * On entry *proof_size / *public_size are the buffer capacities. */
int pw_prover_prove(pw_prover* prover, const char* wtns_path, char* proof_buf, size_t* proof_size, char* public_buf,
                    size_t* public_size, char* err, size_t err_size);

void pw_prover_destroy(pw_prover* prover);

#ifdef __cplusplus
}
#endif

#endif
