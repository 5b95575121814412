# Reads the RESULT JSON that page.html leaves in the dumped DOM and writes MediaPipe's confidence mask (the alpha channel
# of segmentationMask drawn on a canvas) of each image as DIR/mp_NAME.png (8-bit grayscale).
import base64, io, json, re, sys
from PIL import Image
import numpy as np
text = open(sys.argv[1]).read()
found = re.search(r'RESULT (\{.*\})', text)
if not found: sys.exit(f'{sys.argv[1]}: MediaPipe gave no result (page still pending or failed)')
for name, v in json.loads(found.group(1).replace('&amp;', '&')).items():
    rgba = np.array(Image.open(io.BytesIO(base64.b64decode(v['png'].split(',')[1]))).convert('RGBA'))
    Image.fromarray(rgba[..., 3]).save(f"{sys.argv[2]}/mp_{name.rsplit('.', 1)[0]}.png")
