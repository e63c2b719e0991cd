pragma circom 2.0.0;

// The smallest useful Groth16 circuit: one constraint, one public output, two private
// inputs. Its evaluation domain (constraints + public + 1 = 3, rounded up) is only 4.
template Multiplier() {
    signal input a;
    signal input b;
    signal output c;

    c <== a * b;
}

component main = Multiplier();
