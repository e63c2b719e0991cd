pragma circom 2.0.0;

// Several public inputs and outputs, so a prover that mixes up the order of the public
// signals (outputs first, then public inputs) or of the IC points is caught. One private
// input keeps the private part of the witness non-empty.
template MultiIO() {
    signal input x[3];
    signal input k;
    signal input w;
    signal output sum;
    signal output prod;

    signal t[3];
    t[0] <== (x[0] + w) * (x[1] + k);
    t[1] <== t[0] * (x[2] - w);
    t[2] <== t[1] * t[1];

    sum <== t[0] + t[1] + t[2] + x[0] + x[1] + x[2];
    prod <== t[2] * k;
}

component main {public [x, k]} = MultiIO();
