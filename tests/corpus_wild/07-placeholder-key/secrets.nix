let
  ops = "age1u5axmstarjg66m9z58fge4ws7vd4tkv2tsz540l4w6w6z0qwj43sd8g8mm";
  newHost = "age1...REPLACE_ME"; # TODO: ssh-keyscan the new box
  oldHost = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";
in
{
  "old-host-db.age".publicKeys = [ ops oldHost ];
  "new-host-db.age".publicKeys = [ ops newHost ];
}
