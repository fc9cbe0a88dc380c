"""Video → `.pose`: MediaPipe Holistic landmarks of every frame, in the project's stored convention.

`decode` reads frames, `holistic` turns one frame's landmarks into arrays, `extract` makes one
video's Pose, `jobs` runs many videos in worker processes (resumable, failures reported by name).
mediapipe is an optional extra (`pip install 'signclip[video]'`); nothing here imports it at
module level, so `import signclip` works without it.
"""
