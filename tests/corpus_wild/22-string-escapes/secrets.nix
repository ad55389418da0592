let
  alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S";
in
{
  "odd\-name.age".publicKeys = [ alice ];
  "\qquoted.age".publicKeys = [ alice ];
  "literal-\${x}.age".publicKeys = [ alice ];
  "tab\tin-name.age".publicKeys = [ alice ];
}
