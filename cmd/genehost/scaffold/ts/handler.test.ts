// Tests of {{NAME}}, run by 'genehost test' against a real host (see
// "Testing" in the JavaScript guide). Values are Gene text.

test("echoes what it receives", (t) => {
  const l = t.open();
  l.send('(hello ^n 1 ^tags ["a" "b"])');
  l.expect('(hello ^n 1 ^tags ["a" "b"])');
  l.send('"hi"');
  t.equal(l.recv(), '"hi"');
});
