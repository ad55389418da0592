let
  readKey = file: builtins.head (builtins.split "\n" (builtins.readFile file));
  alice = readKey ./keys/alice.pub;
  ci = readKey ./keys/ci.pub;
in
{
  "from-pub-files.age".publicKeys = [ alice ci ];
}
