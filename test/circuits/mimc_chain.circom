pragma circom 2.0.0;

// A MiMC-like permutation x -> (x + k + c_i)^5, three multiplication constraints a round.
// Parameterised by the number of rounds so one template serves the ~2^12-constraint test
// circuit and the ~2^16-constraint benchmark circuit. The round constants are not
// MiMC's: they only need to differ from round to round.
template MimcChain(ROUNDS) {
    signal input x;
    signal input k;
    signal output out;

    signal s[ROUNDS + 1];
    signal t2[ROUNDS];
    signal t4[ROUNDS];

    s[0] <== x;
    for (var i = 0; i < ROUNDS; i++) {
        var c = (i + 1) * 7919 + i * i;
        t2[i] <== (s[i] + k + c) * (s[i] + k + c);
        t4[i] <== t2[i] * t2[i];
        s[i + 1] <== t4[i] * (s[i] + k + c);
    }
    out <== s[ROUNDS];
}
