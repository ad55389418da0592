let
  user1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIARSeROV7EZhuJcsY0u+TnfdcoMHdE1z9F9YUZOaTCIS";
  system1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN0ueDWqXzF+O77VYy6tTjSQcZ+KvO9pHgf49dQr0nNv";
in
{
  "secret1.age".publicKeys = [
    user1
    system1
  ];
  "secret2.age".publicKeys = [ user1 ];
  "passwordfile-user1.age".publicKeys = [
    user1
    system1
  ];
  "-leading-hyphen-filename.age".publicKeys = [
    user1
    system1
  ];
  "armored-secret.age" = {
    publicKeys = [ user1 ];
    armor = true;
  };
}
