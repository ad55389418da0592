let
  carol = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZjJUxmg1vhLPzJ4xQQ8CXtpyuUKs5HyyevgDz1ZgJe";
  matrix = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIaaxZA5+fJUUK2QN6YONeGyE5hVNYcuav6fausuaZNW";
in
{
  "x.age".publicKeys = [ carol ];
  "y.age" = {
    publicKeys = [ carol matrix ];
    armor = true;
  };
  "matrix/registration.yaml.age".publicKeys = [ carol matrix ];
  "matrix/conduit.env.age" = { publicKeys = [ matrix carol ]; };
}
