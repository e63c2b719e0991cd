pragma circom 2.0.0;

include "mimc_chain.circom";

// 1364 rounds x 3 = 4092 constraints. With 2 public signals and the constant one that is
// 4095 rows, a full 2^12 domain: the largest circuit the shared 2^12 powers of tau covers.
component main {public [k]} = MimcChain(1364);
