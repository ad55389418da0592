let
  roles = {
    web = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0" "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2Qw5RRYKpGIiKherb1jhYEbtrlTim+xKy8QetXnVZN" ];
    db = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDYCLOMsbaP6ynS3t3P2DN4Q+ME5Q6mHna0FINnXvoo4" ];
  };
  people = [
    { name = "alice"; key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S"; }
    { name = "carol"; key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ+JD75q4zpxLwNh7TIjqU15WfUGlmFddjlaLOD37b8w"; }
  ];
  admins = builtins.catAttrs "key" people;
in
{
  "all-hosts.age".publicKeys = admins ++ builtins.concatLists (builtins.attrValues roles);
  "web-only.age".publicKeys = admins ++ roles.web;
}
