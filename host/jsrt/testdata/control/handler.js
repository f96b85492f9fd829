// control: the operation add takes [a b] and returns a + b. Other
// operations are refused by the runtime as unknown.
module.exports = {
  control: {
    add([a, b]) {
      return a + b;
    },
  },
};
