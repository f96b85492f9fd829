// echoasync: echo that awaits link.sendAsync for every value.
module.exports = {
  async values(link, values) {
    for (const v of values) {
      await link.sendAsync(v);
    }
  },
};
