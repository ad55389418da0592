let
  # One .pub file per machine, dropped into ./pubkeys by ssh-keyscan.
  folder = ./pubkeys;
  files = builtins.filter (name: builtins.match ".*\\.pub" name != null) (
    builtins.attrNames (builtins.readDir folder)
  );
  keyOf = file: builtins.head (builtins.split "\n" (builtins.readFile (folder + "/${file}")));
  machines = map keyOf files;
  admin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
in
{
  "every-machine.age".publicKeys = [ admin ] ++ machines;
}
