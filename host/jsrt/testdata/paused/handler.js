// paused: the first value pauses the link; a timer resumes it.
let seen = 0;

module.exports = {
  values(link, values) {
    seen += values.length;
    if (seen === values.length) {
      setTimeout(() => link.resume(), 10);
      return genehost.PAUSE;
    }
  },
};
