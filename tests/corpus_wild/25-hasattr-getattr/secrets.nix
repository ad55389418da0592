let
  table = {
    mail = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCe+H3b+VlFasmUxc0jcA/jNC3hpQeoHxKSpuyyaAbEYs4G3O7IL4RvHcplxRuq7SLtGTZFNQfnb3u6E5xJi/cpjFxceuW1292wd5XV53mjOzGTLuLRvetrByXjZlObsPQeVY8LWQ/s4J6mQOWOnYh9MzqWv25kfDl0UEhXkEHPaimn1KJD22Arlf+lUbTO1hakmEfKLCq5iuY5k+KCFY8ZLyrqFxHV0lO14/JYA7oF+gHFoY7FsUL9rGSNMqxKOD/d75iUQAQHL3pLz13WT9gcsLH4cYgHSv1EkFDyO3+5W389wBh/u4U/0INzFPT4ZWH3VMQkCnT3hvkNTtE8gvL3";
    web1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILnwluhOda28uzIRArFM3vfhAUf9y/M4/7E6f7QB6pf0";
  };
  admin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIB2Pdjh/I+9tXBiDXTtgOnXnQZ02wuB+0OT/p2FAPCw";
  keysFor = host: [ admin ] ++ (if builtins.hasAttr host table then [ (builtins.getAttr host table) ] else [ ]);
in
{
  "mail.age".publicKeys = keysFor "mail";
  "nowhere.age".publicKeys = keysFor "nowhere";
}
